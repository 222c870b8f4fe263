// A state column and the moves it may make, written once: the writers compose their UPDATEs
// from a machine's named transitions (SQL text, so one statement stays one statement, and both
// Drizzle's sql.raw and the indexer's session.query take it), and migration 0210 holds the same
// pairs in state_transitions, where a trigger refuses any other move
// (test/store/stateTransitions.test.ts keeps the two equal). docs/states.md draws each machine.
//
// The SQL is built only from the machine's own constants (checked below to be plain
// lower-case names), never from input, so it needs no parameters.

/** A state, or null where the column is nullable (no state yet / any more). */
export type StateValue<S extends string> = S | null;

export type Transition<S extends string> = { readonly from: readonly StateValue<S>[]; readonly to: StateValue<S> };

export type StateMachineDefinition<S extends string, T extends string> = {
  table: string;
  column: string;
  /** Every value the column's CHECK constraint accepts (null excepted). */
  states: readonly S[];
  nullable: boolean;
  transitions: Readonly<Record<T, Transition<S>>>;
};

export type StateMachine<S extends string, T extends string> = StateMachineDefinition<S, T> & {
  /** `table.column`: the machine's name in state_transitions. */
  name: string;
  /** Every allowed (from, to) pair, each once; staying in the same state is not a transition. */
  pairs(): [StateValue<S>, StateValue<S>][];
  /** `column = 'to'`, for a SET list (a SET target takes no table alias). */
  set(transition: T): string;
  /**
   * `alias.column IN ('from', ...)` (or `= 'from'`), for a WHERE clause: the rows the transition applies to.
   * `only` narrows it to some of those states, for a statement that moves fewer.
   */
  from(transition: T, alias?: string, only?: readonly StateValue<S>[]): string;
  /**
   * `column = CASE WHEN alias.column IN (from) THEN 'to' ELSE alias.column END`: for a statement
   * that also writes other columns of rows outside the transition, which keep their state.
   */
  advance(transition: T, alias?: string): string;
  /** The SQL literal of the transition's target state: `'to'` or `NULL`. */
  target(transition: T): string;
};

const plainName = /^[a-z][a-z_]*$/;

export function defineStateMachine<S extends string, T extends string>(definition: StateMachineDefinition<S, T>): StateMachine<S, T> {
  for (const name of [definition.table, definition.column, ...definition.states]) {
    if (!plainName.test(name)) throw new Error(`State machine names must be lower-case words: ${name}`);
  }
  const known = (value: StateValue<S>) => (value === null ? definition.nullable : definition.states.includes(value));
  for (const [name, { from, to }] of Object.entries<Transition<S>>(definition.transitions)) {
    if (!known(to) || from.length === 0 || !from.every(known) || from.includes(to)) {
      throw new Error(`Transition ${definition.table}.${definition.column} ${name} names an unknown state or moves nowhere.`);
    }
  }
  const transition = (name: T) => definition.transitions[name];
  const literal = (value: StateValue<S>) => (value === null ? "NULL" : `'${value}'`);
  const column = (alias?: string) => {
    if (alias !== undefined && !plainName.test(alias)) throw new Error(`Table alias must be a lower-case word: ${alias}`);
    return alias ? `${alias}.${definition.column}` : definition.column;
  };
  const membership = (qualified: string, values: readonly StateValue<S>[]) => {
    const named = values.filter((value) => value !== null);
    const namedTest = named.length === 1 ? `${qualified} = ${literal(named[0]!)}` : `${qualified} IN (${named.map(literal).join(", ")})`;
    const tests = [...(named.length ? [namedTest] : []), ...(values.includes(null) ? [`${qualified} IS NULL`] : [])];
    return tests.length === 1 ? tests[0]! : `(${tests.join(" OR ")})`;
  };
  const pairs = () => {
    const seen = new Map<string, [StateValue<S>, StateValue<S>]>();
    for (const { from, to } of Object.values<Transition<S>>(definition.transitions)) {
      for (const source of from) seen.set(`${source}>${to}`, [source, to]);
    }
    return [...seen.values()];
  };
  return {
    ...definition,
    name: `${definition.table}.${definition.column}`,
    pairs,
    set: (name) => `${definition.column} = ${literal(transition(name).to)}`,
    from(name, alias, only) {
      const { from } = transition(name);
      if (only && !only.every((value) => from.includes(value))) throw new Error(`${definition.column} ${name} does not move from ${only.join(", ")}.`);
      return membership(column(alias), only ?? from);
    },
    advance(name, alias) {
      const { from, to } = transition(name);
      return `${definition.column} = CASE WHEN ${membership(column(alias), from)} THEN ${literal(to)} ELSE ${column(alias)} END`;
    },
    target: (name) => literal(transition(name).to),
  };
}
