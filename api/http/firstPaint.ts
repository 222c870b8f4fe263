// The first paint of a page, written by the server into index.html's #root: the top bar, the
// footer and, for the pages Lighthouse measures, the page's main text (the home page's hero, a
// shop's name and description, a product's name, price, description and facts, the verify page's
// and the consoles' headings). The largest contentful paint was each page's main paragraph, and
// it waited for the entry script, the screen chunk and the language table (about 1.2 s of render
// delay after the first byte, issue 22 item 6); with this markup it paints with the HTML.
//
// The app does not hydrate this markup: its first render (createRoot in web/src/main.tsx)
// replaces it. The markup copies the app's elements and class names (web/src/App.tsx's Header
// and Footer, HomePage, ShopPage, ProductPage, PageHeader) with the same strings
// (core/firstPaintText) and the same price format (core/money/formatMoney.ts), so the app's elements
// take the same boxes: a replaced node is no layout shift, and an element of the same size is no
// new LCP candidate. test/web/firstPaint.test.ts compares the two in a browser.
//
// Every value from data (shop and product names and descriptions, the URL's slug) goes through
// escapeHtml: merchant input is shown as text, never parsed as markup.
import { escapeHtml } from "../../core/escapeHtml.ts";
import { firstPaintEn } from "../../core/firstPaintText/en.ts";
import { firstPaintZh } from "../../core/firstPaintText/zh.ts";
import { formatMoney } from "../../core/money/formatMoney.ts";
import type { ProductView } from "../services/products/products.ts";
import type { ShopView } from "../services/shops/shops.ts";
import { productCategories } from "./schemas.ts";

export type FirstPaintLang = "zh" | "en";

/** What a page's first paint shows; "none" writes the top bar and the footer only. */
export type FirstPaintPage =
  | { screen: "home" }
  | { screen: "shop"; shop: Pick<ShopView, "name" | "description"> }
  | { screen: "product"; product: FirstPaintProduct; shop: Pick<ShopView, "name" | "slug"> }
  | { screen: "verify" }
  | { screen: "merchant" }
  | { screen: "auditor" }
  | { screen: "none" };

export type FirstPaintProduct = Pick<
  ProductView,
  | "name"
  | "description"
  | "category"
  | "priceMinor"
  | "currency"
  | "stock"
  | "lowStock"
  | "quantityMin"
  | "quantityMax"
  | "deliveryMode"
  | "resaleAllowed"
  | "royaltyBps"
>;

type FirstPaintKey = keyof typeof firstPaintEn;
const tables: Record<FirstPaintLang, Record<FirstPaintKey, string>> = { en: firstPaintEn, zh: firstPaintZh };

/** The markup inside #root for `page`, in `lang`, and `path` (the current page, for the active link). */
export function firstPaintHtml(page: FirstPaintPage, lang: FirstPaintLang, path: string): string {
  const text = translator(lang);
  return `<div class="app"><a class="skip-link" href="#main">Skip to content · 跳到正文</a>${topBar(text, lang, path)}<main id="main" class="main" tabindex="-1">${mainContent(page, text)}</main>${footer(text)}</div>`;
}

type Translate = (key: FirstPaintKey, params?: Record<string, string | number>) => string;

/** The app's translate (web/src/i18n/i18n.tsx) over the first paint's strings, escaped for HTML. */
function translator(lang: FirstPaintLang): Translate {
  return (key, params) =>
    escapeHtml(tables[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (params && name in params ? String(params[name]) : whole)));
}

/** App.tsx's Header as a guest sees it (the session lives in the browser's storage). */
function topBar(text: Translate, lang: FirstPaintLang, path: string): string {
  const link = (to: string, label: string) => {
    const active = path.startsWith(to);
    return `<a href="${to}" class="nav-link${active ? " nav-link-active" : ""}"${active ? ' aria-current="page"' : ""}>${label}</a>`;
  };
  // The language switch names the other language, as LanguageSwitch does.
  const languageSwitch =
    lang === "zh"
      ? `<button type="button" class="lang-switch" lang="en">EN<span class="visually-hidden"> (switch to English)</span></button>`
      : `<button type="button" class="lang-switch" lang="zh-CN">中文<span class="visually-hidden">（切换到中文）</span></button>`;
  return (
    `<header class="topbar"><div class="topbar-inner">` +
    `<a href="/" class="brand"><span class="brand-mark" aria-hidden="true">K</span><span class="brand-name">Keyledger</span><span class="brand-tag">${text("brand.tagline")}</span></a>` +
    `<div class="topbar-tools"><div class="search-box"><label for="kl-first-paint-search" class="visually-hidden">${text("search.label")}</label>` +
    `<input id="kl-first-paint-search" class="search-input" type="search" autocomplete="off" placeholder="${text("search.placeholder")}" maxlength="100"></div>` +
    `${languageSwitch}<button type="button" class="menu-button" aria-expanded="false"><span aria-hidden="true">☰</span><span class="visually-hidden">${text("nav.menu")}</span></button></div>` +
    `<nav class="nav" aria-label="${text("nav.menu")}">${link("/shop/demo", text("nav.shop"))}${link("/verify", text("nav.verify"))}${link("/lookup", text("nav.lookup"))}` +
    `<a href="/login" class="nav-link nav-link-cta">${text("nav.signIn")}</a></nav>` +
    `</div></header>`
  );
}

function footer(text: Translate): string {
  return `<footer class="footer"><div class="footer-inner"><span>© Keyledger · ${text("footer.line")}</span><span class="footer-links"><a href="/verify">${text("nav.verify")}</a><a href="/lookup">${text("nav.lookup")}</a><a href="/api/docs">API</a></span></div></footer>`;
}

function mainContent(page: FirstPaintPage, text: Translate): string {
  switch (page.screen) {
    case "home":
      return (
        `<div class="stack-lg"><section class="hero"><h1>${text("home.title")}</h1><p class="hero-lead">${text("home.lead")}</p>` +
        `<div class="hero-actions"><a href="/shop/demo" class="button button-primary button-large">${text("home.browse")}</a><a href="/verify" class="button button-large">${text("home.verify")}</a></div></section></div>`
      );
    case "shop":
      return (
        `<div class="stack-lg"><section class="shop-banner"><div><h1>${escapeHtml(page.shop.name)}</h1><p class="muted">${escapeHtml(page.shop.description)}</p></div>` +
        `<div class="shop-trust"><span class="chip chip-chain">${text("shop.committed")}</span><span class="chip">${text("shop.instant")}</span></div></section></div>`
      );
    case "product":
      return productContent(page.product, page.shop, text);
    case "verify":
      return `<div class="stack-lg">${pageHeader(text("verify.title"), text("verify.subtitle"))}</div>`;
    case "merchant":
      return `<div class="stack-lg console">${pageHeader(text("merchant.title"))}</div>`;
    case "auditor":
      return `<div class="stack-lg console">${pageHeader(text("audit.title"), text("audit.subtitle"))}</div>`;
    case "none":
      return "";
  }
}

/** web/src/components/ui.tsx's PageHeader; both texts are already escaped. */
function pageHeader(title: string, subtitle?: string): string {
  return `<header class="page-header"><div><h1>${title}</h1>${subtitle ? `<p class="page-subtitle">${subtitle}</p>` : ""}</div></header>`;
}

/** ProductPage's breadcrumbs and its first card down to the facts (the rest needs the app). */
function productContent(product: FirstPaintProduct, shop: Pick<ShopView, "name" | "slug">, text: Translate): string {
  const category = isCategory(product.category) ? text(`category.${product.category}`) : escapeHtml(product.category);
  const royalty = (product.royaltyBps / 100).toFixed(product.royaltyBps % 100 ? 2 : 0);
  const fact = (label: string, value: string) => `<div><dt>${label}</dt><dd>${value}</dd></div>`;
  return (
    `<div class="stack-lg"><nav class="breadcrumbs" aria-label="${text("common.breadcrumbs")}"><a href="/shop/${escapeHtml(encodeURIComponent(shop.slug))}">${escapeHtml(shop.name)}</a>` +
    `<span aria-hidden="true">/</span><span>${category}</span></nav>` +
    `<div class="product-layout"><section class="card stack"><span class="product-category">${category}</span>` +
    `<h1 class="product-title">${escapeHtml(product.name)}</h1>` +
    `<div class="product-price-row"><span class="price price-large">${escapeHtml(formatMoney(product.priceMinor, product.currency))}</span>${stockBadge(product, text)}</div>` +
    `<p class="pre-line">${escapeHtml(product.description)}</p><dl class="facts">` +
    fact(text("product.limits"), text("product.limitsValue", { min: product.quantityMin, max: product.quantityMax })) +
    fact(text("product.delivery"), product.deliveryMode === "automatic" ? text("product.deliveryAutomatic") : text("product.deliveryManual")) +
    fact(text("product.resale"), product.resaleAllowed ? text("product.resaleYes", { royalty }) : text("product.resaleNo")) +
    `</dl></section></div></div>`
  );
}

/** web/src/pages/StockBadge.tsx. */
function stockBadge(product: FirstPaintProduct, text: Translate): string {
  if (product.stock === null) return `<span class="badge badge-good">${text("stock.available")}</span>`;
  if (product.stock <= 0) return `<span class="badge badge-bad">${text("stock.soldOut")}</span>`;
  return product.lowStock
    ? `<span class="badge badge-warn">${text("stock.low", { count: product.stock })}</span>`
    : `<span class="badge badge-good">${text("stock.inStock", { count: product.stock })}</span>`;
}

function isCategory(value: string): value is (typeof productCategories)[number] {
  return (productCategories as readonly string[]).includes(value);
}
