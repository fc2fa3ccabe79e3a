import { hasFilter, type SearchFilter } from './filter.js';

/** The attributes of a document that filters test (a subset of the `autod_vec_docs` row). */
export interface MemoryDocAttributes {
  docId: number;
  category: string | null;
  docType: string | null;
  issuer: string | null;
  primaryDate: string | null;
  totalAmount: number | null;
}

/** One IVF list: its int8 vectors back to back and, per row, the chunk id, document slot and chunk number. */
interface Block {
  n: number;
  vecs: Int8Array;
  /** 1 / |int8 vector| (cosine without recomputing the row's norm). */
  inv: Float32Array;
  ids: Float64Array;
  slots: Int32Array;
  nos: Int32Array;
}

function newBlock(dims: number, cap: number): Block {
  return {
    n: 0,
    vecs: new Int8Array(cap * dims),
    inv: new Float32Array(cap),
    ids: new Float64Array(cap),
    slots: new Int32Array(cap),
    nos: new Int32Array(cap),
  };
}

function grow<T extends Int8Array | Float32Array | Float64Array | Int32Array | Uint16Array>(a: T, size: number): T {
  const ctor = a.constructor as new (n: number) => T;
  const b = new ctor(size);
  b.set(a);
  return b;
}

/**
 * The IVF lists in memory: the int8 copy of every vector (dims bytes + 20 bytes of bookkeeping per
 * chunk: 28 MB for 100k chunks of 256 dimensions, 280 MB for 1M) and the filterable attributes of
 * every document, so a search scans the probed lists and tests filters without SQL. The float32
 * vectors stay in the database (the best candidates are re-ranked from there).
 */
export class ListMemory {
  readonly #dims: number;
  #blocks: Block[] = [];
  #rows = 0;
  // documents, by slot
  readonly #slotOf = new Map<number, number>();
  #free: number[] = [];
  #slots = 0;
  #docIds = new Float64Array(1024);
  #category = new Uint16Array(1024);
  #docType = new Uint16Array(1024);
  #amount = new Float64Array(1024);
  #issuer: (string | null)[] = [];
  #date: (string | null)[] = [];
  /** Lists that hold rows of the slot's document (a list may repeat). */
  #docLists: (number[] | undefined)[] = [];
  /** String → small code (0 = null), and interned strings for issuers and dates. */
  readonly #codes = new Map<string, number>();
  readonly #interned = new Map<string, string>();

  constructor(dims: number, lists: number) {
    this.#dims = dims;
    for (let i = 0; i < lists; i++) this.#blocks.push(newBlock(dims, 16));
  }

  /** Chunks in the lists. */
  get size(): number {
    return this.#rows;
  }

  /** Documents with attributes. */
  get documents(): number {
    return this.#slotOf.size;
  }

  get lists(): number {
    return this.#blocks.length;
  }

  listSize(list: number): number {
    return this.#blocks[list]?.n ?? 0;
  }

  #code(s: string | null): number {
    if (s === null) return 0;
    let c = this.#codes.get(s);
    if (c === undefined) {
      c = this.#codes.size + 1;
      if (c > 0xffff) throw new RangeError('too many distinct categories/document types');
      this.#codes.set(s, c);
    }
    return c;
  }

  #intern(s: string | null): string | null {
    if (s === null) return null;
    const hit = this.#interned.get(s);
    if (hit !== undefined) return hit;
    this.#interned.set(s, s);
    return s;
  }

  /** Add or update a document's attributes; returns its slot. */
  setDoc(a: MemoryDocAttributes): number {
    let slot = this.#slotOf.get(a.docId);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#slots++;
      if (slot >= this.#docIds.length) {
        const size = this.#docIds.length * 2;
        this.#docIds = grow(this.#docIds, size);
        this.#category = grow(this.#category, size);
        this.#docType = grow(this.#docType, size);
        this.#amount = grow(this.#amount, size);
      }
      this.#slotOf.set(a.docId, slot);
    }
    this.#docIds[slot] = a.docId;
    this.#category[slot] = this.#code(a.category);
    this.#docType[slot] = this.#code(a.docType);
    this.#amount[slot] = a.totalAmount ?? Number.NaN;
    this.#issuer[slot] = this.#intern(a.issuer === null ? null : a.issuer.toLowerCase());
    this.#date[slot] = this.#intern(a.primaryDate);
    return slot;
  }

  hasDoc(docId: number): boolean {
    return this.#slotOf.has(docId);
  }

  /** Remove a document's rows and attributes (no-op when absent). */
  removeDoc(docId: number): void {
    const slot = this.#slotOf.get(docId);
    if (slot === undefined) return;
    this.#removeRows(slot);
    this.#slotOf.delete(docId);
    this.#docLists[slot] = undefined;
    this.#issuer[slot] = null;
    this.#date[slot] = null;
    this.#free.push(slot);
  }

  /** Remove a document's rows, keep its attributes (before re-adding its chunks). */
  clearRows(docId: number): void {
    const slot = this.#slotOf.get(docId);
    if (slot !== undefined) this.#removeRows(slot);
  }

  #removeRows(slot: number): void {
    const lists = this.#docLists[slot];
    if (!lists) return;
    const d = this.#dims;
    for (const l of new Set(lists)) {
      const b = this.#blocks[l];
      if (!b) continue;
      for (let r = 0; r < b.n;) {
        if (b.slots[r] !== slot) {
          r++;
          continue;
        }
        const last = --b.n;
        this.#rows--;
        if (r !== last) {
          b.vecs.copyWithin(r * d, last * d, last * d + d);
          b.inv[r] = b.inv[last] as number;
          b.ids[r] = b.ids[last] as number;
          b.slots[r] = b.slots[last] as number;
          b.nos[r] = b.nos[last] as number;
        }
      }
    }
    this.#docLists[slot] = [];
  }

  /** Add one chunk's int8 vector to `list` (its document must have been set). */
  add(list: number, chunkId: number, docId: number, chunkNo: number, q8: Int8Array): void {
    const slot = this.#slotOf.get(docId);
    const b = this.#blocks[list];
    if (slot === undefined || !b) return;
    const d = this.#dims;
    if (b.n === b.ids.length) {
      const cap = b.ids.length * 2;
      b.vecs = grow(b.vecs, cap * d);
      b.inv = grow(b.inv, cap);
      b.ids = grow(b.ids, cap);
      b.slots = grow(b.slots, cap);
      b.nos = grow(b.nos, cap);
    }
    const r = b.n++;
    b.vecs.set(q8.subarray(0, d), r * d);
    let n2 = 0;
    for (let j = 0; j < d; j++) n2 += (q8[j] as number) * (q8[j] as number);
    b.inv[r] = n2 === 0 ? 0 : 1 / Math.sqrt(n2);
    b.ids[r] = chunkId;
    b.slots[r] = slot;
    b.nos[r] = chunkNo;
    this.#rows++;
    const lists = this.#docLists[slot];
    if (lists) lists.push(list);
    else this.#docLists[slot] = [list];
  }

  /** The rows of `list` (chunk id, document, chunk number, int8 vector as bytes: a view, not a copy). */
  rows(list: number): { id: number; docId: number; chunkNo: number; qvec: Buffer }[] {
    const b = this.#blocks[list];
    if (!b) return [];
    const d = this.#dims;
    const out: { id: number; docId: number; chunkNo: number; qvec: Buffer }[] = [];
    for (let r = 0; r < b.n; r++) {
      out.push({
        id: b.ids[r] as number,
        docId: this.#docIds[b.slots[r] as number] as number,
        chunkNo: b.nos[r] as number,
        qvec: Buffer.from(b.vecs.buffer, b.vecs.byteOffset + r * d, d),
      });
    }
    return out;
  }

  /** Document ids of the slots set in `mask`. */
  docIds(mask: Uint8Array): number[] {
    const out: number[] = [];
    for (const [docId, slot] of this.#slotOf) if (mask[slot] === 1) out.push(docId);
    return out.sort((a, b) => a - b);
  }

  /** Slots of the documents matching `filter` (same semantics as `applyFilter` in SQL) and their count. */
  matching(filter: SearchFilter | undefined): { mask: Uint8Array; count: number } | undefined {
    if (!hasFilter(filter)) return undefined;
    const mask = new Uint8Array(this.#slots);
    const set = (s: string | undefined): s is string => s !== undefined && s !== '';
    const cat = set(filter.category) ? (this.#codes.get(filter.category) ?? -1) : undefined;
    const type = set(filter.docType) ? (this.#codes.get(filter.docType) ?? -1) : undefined;
    const issuer = set(filter.issuer) ? filter.issuer.toLowerCase() : undefined;
    const from = set(filter.from) ? filter.from : undefined;
    const to = set(filter.to) ? filter.to : undefined;
    const { minAmount, maxAmount } = filter;
    let count = 0;
    for (const slot of this.#slotOf.values()) {
      if (cat !== undefined && this.#category[slot] !== cat) continue;
      if (type !== undefined && this.#docType[slot] !== type) continue;
      if (issuer !== undefined && !this.#issuer[slot]?.includes(issuer)) continue;
      if (from !== undefined || to !== undefined) {
        const date = this.#date[slot];
        if (date === null || date === undefined) continue;
        if (from !== undefined && date < from) continue;
        if (to !== undefined && date > to) continue;
      }
      if (minAmount !== undefined && !((this.#amount[slot] as number) >= minAmount)) continue;
      if (maxAmount !== undefined && !((this.#amount[slot] as number) <= maxAmount)) continue;
      mask[slot] = 1;
      count++;
    }
    return { mask, count };
  }

  /**
   * The `want` chunks of `lists` with the highest int8 cosine to `q8` (chunk ids, best first),
   * keeping only documents in `mask`, skipping `excludeDocId`, and only chunk 0 when `firstChunkOnly`.
   */
  scan(
    q8: Int8Array,
    lists: readonly number[],
    want: number,
    opts: {
      mask?: Uint8Array | undefined;
      excludeDocId?: number | undefined;
      firstChunkOnly?: boolean | undefined;
    } = {},
  ): number[] {
    const d = this.#dims;
    const d4 = d - (d % 4);
    const mask = opts.mask;
    const exclude = opts.excludeDocId === undefined ? -1 : (this.#slotOf.get(opts.excludeDocId) ?? -1);
    const first = opts.firstChunkOnly === true;
    // a min-heap of the best `want` (score, chunk id)
    const hs = new Float64Array(want);
    const hi = new Float64Array(want);
    let h = 0;
    for (const l of lists) {
      const b = this.#blocks[l];
      if (!b) continue;
      const { vecs, inv, ids, slots, nos } = b;
      for (let r = 0; r < b.n; r++) {
        const slot = slots[r] as number;
        if (mask !== undefined && mask[slot] !== 1) continue;
        if (slot === exclude) continue;
        if (first && nos[r] !== 0) continue;
        const o = r * d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < d4; j += 4) {
          s0 += (q8[j] as number) * (vecs[o + j] as number);
          s1 += (q8[j + 1] as number) * (vecs[o + j + 1] as number);
          s2 += (q8[j + 2] as number) * (vecs[o + j + 2] as number);
          s3 += (q8[j + 3] as number) * (vecs[o + j + 3] as number);
        }
        for (let j = d4; j < d; j++) s0 += (q8[j] as number) * (vecs[o + j] as number);
        const score = (s0 + s1 + s2 + s3) * (inv[r] as number);
        if (h < want) {
          // sift up
          let i = h++;
          while (i > 0) {
            const p = (i - 1) >> 1;
            if ((hs[p] as number) <= score) break;
            hs[i] = hs[p] as number;
            hi[i] = hi[p] as number;
            i = p;
          }
          hs[i] = score;
          hi[i] = ids[r] as number;
        } else if (score > (hs[0] as number)) {
          // replace the worst, sift down
          let i = 0;
          for (;;) {
            const l2 = 2 * i + 1;
            if (l2 >= h) break;
            const r2 = l2 + 1;
            const c = r2 < h && (hs[r2] as number) < (hs[l2] as number) ? r2 : l2;
            if ((hs[c] as number) >= score) break;
            hs[i] = hs[c] as number;
            hi[i] = hi[c] as number;
            i = c;
          }
          hs[i] = score;
          hi[i] = ids[r] as number;
        }
      }
    }
    const order = Array.from({ length: h }, (_, i) => i).sort((a, b) => (hs[b] as number) - (hs[a] as number));
    return order.map((i) => hi[i] as number);
  }
}
