import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves dist/ in production; `pnpm --filter @ticketflow/dashboard dev`
// proxies the API and sockets to a server on :3000.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/auth': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
