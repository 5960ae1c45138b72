import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Builds the Clarus browser app from web/ into web/dist, which the server serves under
 * `Content-Security-Policy: default-src 'self'`. Nothing may be inlined: no data: URLs for
 * assets, CSS and JS emitted as files.
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Never turn small assets into data: URLs (CSP default-src 'self' forbids them).
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    target: 'es2023',
  },
  server: {
    // Development only: the API server listens on PORT (default 8080).
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
