// A form's submit handler (or a button's action) with its busy flag and its error: the request
// runs once per submit, the error of the last attempt is kept for ErrorNotice, and busy disables
// the button meanwhile. `run` is the same without a form event, for buttons outside a form.
import { useState, type FormEvent } from "react";

export function useFormSubmit(action: () => Promise<void>): {
  busy: boolean;
  error: unknown;
  submit: (event: FormEvent) => Promise<void>;
  run: () => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run();
  };
  return { busy, error, submit, run };
}
