// Search-as-you-type (docs/discovery.md): the ARIA 1.2 combobox pattern with a listbox popup.
// Typing waits 250 ms before asking (the API's per-address budget allows four a second), and a
// newer request aborts the one in flight, so an answer never overwrites a later one. Arrow keys
// move the active option (aria-activedescendant: focus stays in the input), Enter opens it,
// Escape closes the list.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";

const debounceMs = 250;

type Option = { key: string; to: string; label: string; detail: string };

/** Whether the API would take the text: a word of at least two characters, at most 100 characters. */
function searchable(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length <= 100 && trimmed.split(/\s+/).some((word) => [...word].length >= 2);
}

export function SearchBox() {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const id = useId();
  const [text, setText] = useState("");
  const [result, setResult] = useState<Schemas["SearchResult"] | undefined>();
  const [failed, setFailed] = useState(false);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const pending = useRef<AbortController | undefined>(undefined);

  useEffect(() => {
    if (!searchable(text)) {
      setResult(undefined);
      return;
    }
    const timer = setTimeout(() => {
      pending.current?.abort();
      const controller = new AbortController();
      pending.current = controller;
      answer(api.GET("/api/search", { params: { query: { q: text.trim(), limit: 8 } }, signal: controller.signal }))
        .then((found) => {
          setResult(found);
          setFailed(false);
          setActive(-1);
          setOpen(true);
        })
        .catch((error: unknown) => {
          if ((error as Error).name !== "AbortError") setFailed(true);
        });
    }, debounceMs);
    return () => clearTimeout(timer);
  }, [api, text]);

  const options: Option[] = [
    ...(result?.products ?? []).map((product) => ({
      key: `product-${product.id}`,
      to: `/product/${product.id}`,
      label: product.name,
      detail: `${formatMoney(product.priceMinor, product.currency)} · ${product.shopName}`,
    })),
    ...(result?.shops ?? []).map((shop) => ({ key: `shop-${shop.id}`, to: `/shop/${shop.slug}`, label: shop.name, detail: t("search.shop") })),
  ];
  const expanded = open && result !== undefined && searchable(text);
  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;

  function choose(option: Option) {
    setOpen(false);
    setText("");
    navigate(option.to);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!options.length) return;
      setOpen(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((current) => (current + step + options.length) % options.length);
    } else if (event.key === "Enter" && expanded && active >= 0 && options[active]) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === "Escape") {
      setOpen(false);
      setActive(-1);
    }
  }

  return (
    <div className="search-box">
      <label htmlFor={`${id}-input`} className="visually-hidden">
        {t("search.label")}
      </label>
      <input
        id={`${id}-input`}
        className="search-input"
        type="search"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
        autoComplete="off"
        placeholder={t("search.placeholder")}
        value={text}
        maxLength={100}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        data-testid="search-input"
      />
      <div id={listId} role="listbox" aria-label={t("search.results")} className="search-list" hidden={!expanded} data-testid="search-list">
        {options.map((option, index) => (
          // biome-ignore lint/a11y/useFocusableInteractive: the combobox pattern keeps focus in the input and points at the option with aria-activedescendant
          // biome-ignore lint/a11y/useKeyWithClickEvents: the input's arrow keys and Enter choose options; the click is for pointers
          <div
            key={option.key}
            id={optionId(index)}
            role="option"
            aria-selected={index === active}
            className={`search-option${index === active ? " search-option-active" : ""}`}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => choose(option)}
            data-testid="search-option"
          >
            <span className="search-option-label">{option.label}</span>
            <span className="search-option-detail muted small">{option.detail}</span>
          </div>
        ))}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {failed ? t("search.failed") : expanded ? (options.length ? t("search.count", { count: options.length }) : t("search.none")) : ""}
      </p>
      {expanded && options.length === 0 && (
        <p className="search-empty muted small" data-testid="search-empty">
          {t("search.none")}
        </p>
      )}
    </div>
  );
}
