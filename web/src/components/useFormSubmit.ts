// A form's submit handler with its busy flag and its error: the request runs once per submit,
// the error of the last attempt is kept for ErrorNotice, and busy disables the button meanwhile.
import { useState, type FormEvent } from "react";

export function useFormSubmit(action: () => Promise<void>): { busy: boolean; error: unknown; submit: (event: FormEvent) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  return { busy, error, submit };
}
