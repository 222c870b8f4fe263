// False on a screen's first render, true from a task of its own after it: what a page shows below
// its first screen (reviews, recommendations, resale offers, tickets) renders then. The whole
// page in one render was one long task of the app's start on Lighthouse's 4x-slowed CPU (blocking
// time, issue 22); in two, each is shorter, and the first screen is painted between them.
import { useEffect, useState } from "react";

/** `shown`: whether the screen's content is rendered yet (false while its data loads): the task after the first render that shows it. */
export function useAfterFirstRender(shown = true): boolean {
  const [after, setAfter] = useState(false);
  useEffect(() => {
    if (!shown) return;
    // An effect runs once the render is painted; the timeout puts the second render in a new task.
    const timer = setTimeout(() => setAfter(true), 0);
    return () => clearTimeout(timer);
  }, [shown]);
  return after;
}
