import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The C server (`oddzy api` / `oddzy run`) serves web/dist with an SPA fallback, the JSON API
// under /api and Socket.IO under /socket.io/. In development, `npm run dev` proxies those to it
// (ODDZY_API, default http://localhost:8080).
const backend = process.env.ODDZY_API || 'http://localhost:8080';

export default defineConfig({
  base: '/',
  plugins: [vue()],
  define: {
    // Every component uses <script setup>: drop the Options API and devtools hooks from Vue.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 200,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  css: {
    preprocessorOptions: {
      scss: { quietDeps: true, silenceDeprecations: ['if-function'] },
    },
  },
  // `npm test` (Vitest): unit tests of src/lib/ under tests/, in Node (the rules need no DOM).
  test: {
    include: ['tests/**/*.test.js'],
    environment: 'node',
  },
  server: {
    proxy: {
      '/api': backend,
      '/readyz': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});
