/**
 * Test-only helpers (not exported): a fake clock whose sleep advances time and records every
 * wait asked for, a tiny text PDF builder, a sliding-window counter and a token-usage builder.
 */

export interface FakeTime {
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every wait requested, in order. */
  waits: number[];
  advance(ms: number): void;
}

export function fakeTime(start = 1_700_000_000_000): FakeTime {
  let now = start;
  const waits: number[] = [];
  return {
    clock: { now: () => now },
    waits,
    advance(ms) {
      now += ms;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      waits.push(ms);
      // Let every pending microtask chain (requests already admitted, on their way to fetch)
      // run before time jumps, as it would on a real clock.
      await new Promise((resolve) => setImmediate(resolve));
      now += Math.max(0, ms);
    },
  };
}

/** A minimal uncompressed PDF with one Helvetica text line per array entry, one page per array. */
export function tinyPdf(pages: string[][]): Uint8Array {
  const objects: string[] = [];
  const pageIds: number[] = [];
  // 1: catalog, 2: pages, 3: font; then per page: page + content.
  let next = 4;
  const pageObjs: string[] = [];
  for (const lines of pages) {
    const pageId = next++;
    const contentId = next++;
    pageIds.push(pageId);
    const ops = lines
      .map((l, i) => `BT /F1 11 Tf 50 ${780 - i * 16} Td (${l.replace(/[()\\]/g, '')}) Tj ET`)
      .join('\n');
    pageObjs.push(
      `${pageId} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>\nendobj\n`,
      `${contentId} 0 obj\n<< /Length ${ops.length} >>\nstream\n${ops}\nendstream\nendobj\n`,
    );
  }
  objects.push('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  objects.push(
    `2 0 obj\n<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>\nendobj\n`,
  );
  objects.push('3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n');
  objects.push(...pageObjs);
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const obj of objects) {
    offsets.push(out.length);
    out += obj;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** Largest number of timestamps inside any half-open window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Token usage of `input` tokens (`cached` of them from the prompt cache) and `output` tokens. */
export function usage(input: number, cached: number, output: number, reasoning = 0) {
  return {
    inputTokens: input,
    cachedInputTokens: cached,
    outputTokens: output,
    reasoningTokens: reasoning,
    totalTokens: input + output,
  };
}
