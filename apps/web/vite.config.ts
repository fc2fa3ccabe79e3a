import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The page is served by `autod serve` (same origin as /v1). `vite dev` proxies the API to a running server.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': { target: process.env['AUTOD_DEV_API'] ?? 'http://127.0.0.1:8080', changeOrigin: false },
      '/health': { target: process.env['AUTOD_DEV_API'] ?? 'http://127.0.0.1:8080' },
    },
  },
});
