import { useEffect, useRef, useState } from 'react';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import type { EvidenceBox } from '../api/models.js';

/** pdf.js is big: loaded only when a document is opened (its own chunk and worker). */
async function loadPdfJs() {
  const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
  return pdfjs;
}

export interface Highlight {
  page: number;
  box: EvidenceBox | null;
  label: string;
}

interface Props {
  url: string;
  title: string;
  page: number;
  highlight: Highlight | null;
  onPageCount?: (n: number) => void;
}

/** Renders one page of a PDF into a canvas, with the hovered field's evidence box drawn over it. */
export function PdfViewer({ url, title, page, highlight, onPageCount }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rendered, setRendered] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let task: { promise: Promise<PDFDocumentProxy>; destroy(): Promise<void> } | null = null;
    setDoc(null);
    setError(null);
    void loadPdfJs()
      .then((pdfjs) => {
        if (cancelled) return null;
        task = pdfjs.getDocument({ url, withCredentials: true });
        return task.promise;
      })
      .then(
        (d) => {
          if (!d || cancelled) return;
          setDoc(d);
          onPageCount?.(d.numPages);
        },
        (e: unknown) => {
          if (!cancelled) setError(e instanceof Error ? e.message : 'The PDF cannot be shown.');
        },
      );
    return () => {
      cancelled = true;
      void task?.destroy();
    };
    // onPageCount is a notification only, not a reason to reload the PDF
  }, [url]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!doc || !canvas) return;
    let cancelled = false;
    let task: { cancel(): void; promise: Promise<void> } | null = null;
    void doc.getPage(Math.min(Math.max(1, page), doc.numPages)).then((p) => {
      if (cancelled) return;
      const width = canvas.parentElement?.clientWidth ?? 800;
      const base = p.getViewport({ scale: 1 });
      const scale = Math.min(2.5, Math.max(0.5, width / base.width));
      const viewport = p.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      task = p.render({ canvas, viewport });
      task.promise.then(
        () => !cancelled && setRendered((n) => n + 1),
        () => undefined,
      );
    });
    return () => {
      cancelled = true;
      task?.cancel();
    };
  }, [doc, page]);

  const box = highlight && highlight.page === page ? highlight.box : null;
  return (
    <div className="pdf-viewer">
      {error ? (
        <p className="notice notice-error" role="alert">
          The PDF cannot be shown here ({error}). Download it below.
        </p>
      ) : null}
      {!doc && !error ? <p className="loading">Opening the PDF…</p> : null}
      <div className="pdf-page" data-rendered={rendered > 0 ? 'true' : 'false'}>
        <canvas ref={canvasRef} role="img" aria-label={`${title}, page ${page}`} />
        {box ? (
          <div
            className="evidence-box"
            data-testid="evidence-box"
            aria-hidden="true"
            style={{
              left: `${box.x0 * 100}%`,
              top: `${box.y0 * 100}%`,
              width: `${Math.max(0.5, (box.x1 - box.x0) * 100)}%`,
              height: `${Math.max(0.5, (box.y1 - box.y0) * 100)}%`,
            }}
          />
        ) : null}
      </div>
    </div>
  );
}

export default PdfViewer;
