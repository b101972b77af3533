import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API runs on :3000 (`npm start`); `npx vite web` serves the app on :5173 and proxies /api to it.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { "/api": "http://127.0.0.1:3000" } },
});
