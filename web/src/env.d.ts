// Vite turns CSS imports into style tags; TypeScript only needs to know they exist.
declare module "*.css";
