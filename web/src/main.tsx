import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { I18nProvider } from "./i18n/i18n.tsx";
import { RouterProvider } from "./router.tsx";
import { SessionProvider } from "./session.tsx";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element.");
createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      <SessionProvider baseUrl="">
        <RouterProvider>
          <App />
        </RouterProvider>
      </SessionProvider>
    </I18nProvider>
  </StrictMode>,
);
