// Preloaded (`node --import`) into the processes the ingest bench runs: at exit, writes the process's CPU time
// (user + system, every thread: the pdf.js workers too) and peak RSS to $AUTOD_BENCH_CPU_FILE — and, on Linux, where
// that time went: the main thread, V8's helper threads (garbage collection, JIT compilation), libuv's thread pool
// (file system, hashing) and, as the rest, the worker threads (pdf.js, OCR; those that already exited included).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const out = process.env['AUTOD_BENCH_CPU_FILE'];

/** CPU ms of each live thread, by kind, from /proc (undefined elsewhere). */
function threadCpu() {
  try {
    const tick = 10; // USER_HZ is 100 on Linux: one clock tick = 10 ms
    const byKind = { mainMs: 0, v8HelpersMs: 0, libuvMs: 0 };
    for (const tid of readdirSync('/proc/self/task')) {
      let stat;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      if (Number(tid) === process.pid) byKind.mainMs += ms;
      else if (name.startsWith('V8Worker') || name.startsWith('DelayedTask')) byKind.v8HelpersMs += ms;
      else if (name.startsWith('libuv')) byKind.libuvMs += ms;
    }
    return byKind;
  } catch {
    return undefined;
  }
}

if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    const threads = threadCpu();
    writeFileSync(
      out,
      JSON.stringify({
        userUs: r.userCPUTime,
        systemUs: r.systemCPUTime,
        maxRssKb: r.maxRSS,
        ...(threads
          ? {
              threads: {
                ...threads,
                workerThreadsMs: Math.max(
                  0,
                  (r.userCPUTime + r.systemCPUTime) / 1000 - threads.mainMs - threads.v8HelpersMs - threads.libuvMs,
                ),
              },
            }
          : {}),
      }),
    );
  });
}
