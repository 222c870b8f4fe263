-- ledger_post_batch: its current definition (last written by migration 0302_ledger_post_key_race.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- enable_seqscan = off: plpgsql caches a generic plan per statement, and a plan made while a
-- table was small (a fresh database) kept scanning ledger_transactions sequentially for every
-- idempotency lookup long after it had grown (measured: 8 ms per batch at 2,560 rows, growing
-- with every row). Every statement here looks rows up by key, so an index is always right.
CREATE OR REPLACE FUNCTION ledger_post_batch(p_entries jsonb) RETURNS jsonb
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  v_n       int := jsonb_array_length(p_entries);
  v_status  text[];
  v_tx      bigint[];
  v_detail  text[];
  e_key     text[];
  e_hash    bytea[];
  e_start   int[];
  -- e_first[i]: the first entry of the batch with entry i's key; g_accepted[that entry]: the
  -- entry of that key accepted so far (a later one with the same key is its retry).
  e_first   int[];
  g_accepted int[];
  e_hold    jsonb[];
  e_bad     text[];
  v_raced_id bigint;
  v_raced_hash bytea;
  v_floor_debits boolean;
  e_end     int[];
  f_entry   int[];
  f_acc     bigint[];
  f_amt     bigint[];
  f_cur     text[];
  a_id      bigint[];
  a_bal     bigint[];
  a_floor   boolean[];
  a_cur     text[];
  x_key     text[];
  x_id      bigint[];
  x_hash    bytea[];
  v_i       int;
  v_j       int;
  v_k       int;
  v_pos     int;
  v_idx     int;
  v_sum     bigint;
  v_hold    jsonb;
  v_hold_acc bigint;
  v_bad     text;
  v_created bigint[];
  v_keys    text[];
BEGIN
  IF v_n IS NULL OR v_n = 0 THEN
    RETURN '[]'::jsonb;
  END IF;
  v_status := array_fill('created'::text, ARRAY[v_n]);
  v_tx := array_fill(NULL::bigint, ARRAY[v_n]);
  v_detail := array_fill(NULL::text, ARRAY[v_n]);

  -- Accounts named by owner/purpose/currency are opened on first use, in key order so two
  -- batches opening the same accounts wait for each other instead of deadlocking.
  INSERT INTO ledger_accounts (owner_type, owner_id, purpose, currency)
  SELECT o, i, u, c FROM (
    SELECT DISTINCT r->>'o' AS o, (r->>'i')::bigint AS i, r->>'u' AS u, r->>'c' AS c
    FROM jsonb_array_elements(p_entries) e(v),
         jsonb_array_elements(e.v->'p' || CASE WHEN e.v ? 'hold'
           THEN jsonb_build_array(e.v->'hold'->'ha' || jsonb_build_object('c', e.v->'hold'->>'c'),
                                  e.v->'hold'->'pa' || jsonb_build_object('c', e.v->'hold'->>'c'),
                                  e.v->'hold'->'va' || jsonb_build_object('c', e.v->'hold'->>'c'))
           ELSE '[]'::jsonb END) r
    WHERE r ? 'o') wanted
  -- One index probe per distinct account, not per posting: a batch of payments into one shop
  -- names the same three accounts hundreds of times.
  WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.owner_type = o AND a.owner_id = i AND a.purpose = u AND a.currency = c)
  ORDER BY o, i, u, c
  ON CONFLICT DO NOTHING;

  SELECT array_agg(k ORDER BY ord), array_agg(h ORDER BY ord), array_agg(f ORDER BY ord), array_agg(hold ORDER BY ord)
  INTO e_key, e_hash, e_first, e_hold
  FROM (SELECT ord, v->>'k' AS k, decode(v->>'h', 'hex') AS h, (min(ord) OVER (PARTITION BY v->>'k'))::int AS f,
               v->'hold' AS hold
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(v, ord)) entries;
  g_accepted := array_fill(NULL::int, ARRAY[v_n]);

  WITH postings AS (
    SELECT e.ord AS entry_ord, p.ord AS posting_ord, p.r
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY e(v, ord)
    CROSS JOIN LATERAL jsonb_array_elements(e.v->'p') WITH ORDINALITY p(r, ord)
  ), named AS MATERIALIZED (
    SELECT DISTINCT r->>'o' AS o, (r->>'i')::bigint AS i, r->>'u' AS u, r->>'c' AS c FROM postings WHERE r ? 'o'
  ), resolved AS MATERIALIZED (
    SELECT o, i, u, c, (SELECT a.id FROM ledger_accounts a
                        WHERE a.owner_type = o AND a.owner_id = i AND a.purpose = u AND a.currency = c) AS id
    FROM named
  )
  SELECT array_agg(p.entry_ord::int ORDER BY p.entry_ord, p.posting_ord),
         array_agg(CASE WHEN p.r ? 'a' THEN (p.r->>'a')::bigint ELSE n.id END ORDER BY p.entry_ord, p.posting_ord),
         array_agg((p.r->>'x')::bigint ORDER BY p.entry_ord, p.posting_ord),
         array_agg(p.r->>'c' ORDER BY p.entry_ord, p.posting_ord)
  INTO f_entry, f_acc, f_amt, f_cur
  FROM postings p
  LEFT JOIN resolved n ON n.o = p.r->>'o' AND n.i = (p.r->>'i')::bigint AND n.u = p.r->>'u' AND n.c = p.r->>'c';

  e_start := array_fill(0, ARRAY[v_n]);
  e_end := array_fill(-1, ARRAY[v_n]);
  FOR v_k IN 1 .. coalesce(array_length(f_entry, 1), 0) LOOP
    IF e_start[f_entry[v_k]] = 0 THEN e_start[f_entry[v_k]] := v_k; END IF;
    e_end[f_entry[v_k]] := v_k;
  END LOOP;

  SELECT array_agg(id ORDER BY id), array_agg(balance_minor ORDER BY id),
         array_agg(floor_zero ORDER BY id), array_agg(currency ORDER BY id)
  INTO a_id, a_bal, a_floor, a_cur
  FROM (SELECT id, balance_minor, floor_zero, currency FROM ledger_accounts
        WHERE id = ANY (f_acc) ORDER BY id FOR UPDATE) locked;

  -- Read after the locks: a batch that held them has committed, so its keys are visible.
  SELECT array_agg(idempotency_key), array_agg(id), array_agg(payload_hash)
  INTO x_key, x_id, x_hash
  FROM ledger_transactions WHERE idempotency_key = ANY (e_key);

  -- Validation, set-based (a plpgsql loop over postings costs tens of microseconds per entry):
  -- e_bad[i] is why entry i is invalid, or null.
  -- Arrays are read with unnest, never subscripted per row: a plpgsql array subscripted inside
  -- a query is copied on every access, which made this statement quadratic in the batch size.
  WITH p AS (
    SELECT * FROM unnest(f_entry, f_acc, f_amt, f_cur) AS x(e, acc, amt, cur)
  ), acc AS (
    SELECT * FROM unnest(a_id, a_cur, a_floor) AS x(id, cur, floor)
  ), checks AS (
    SELECT p.e,
           CASE
             WHEN bool_or(acc.id IS NULL) THEN 'account not found: ' || coalesce(min(p.acc) FILTER (WHERE acc.id IS NULL)::text, 'unknown')
             WHEN bool_or(acc.cur <> p.cur) THEN 'currency ' || min(p.cur) FILTER (WHERE acc.cur <> p.cur) || ' does not match account '
                  || min(p.acc) FILTER (WHERE acc.cur <> p.cur) || ' (' || min(acc.cur) FILTER (WHERE acc.cur <> p.cur) || ')'
             WHEN bool_or(p.amt IS NULL OR p.amt = 0) THEN 'zero amount on account ' || min(p.acc) FILTER (WHERE p.amt IS NULL OR p.amt = 0)
             WHEN count(*) <> count(DISTINCT p.acc) THEN 'an account is posted twice'
             WHEN count(*) < 2 THEN 'fewer than two postings'
           END AS bad,
           bool_or(acc.floor AND p.amt < 0) AS floor_debit
    FROM p LEFT JOIN acc ON acc.id = p.acc GROUP BY p.e
  ), unbalanced AS (
    SELECT e, min(cur || ' sum to ' || total) AS bad
    FROM (SELECT e, cur, sum(amt) AS total FROM p GROUP BY e, cur HAVING sum(amt) <> 0) s GROUP BY e
  )
  SELECT array_agg(coalesce(c.bad, 'postings in ' || u.bad, CASE WHEN c.e IS NULL THEN 'fewer than two postings' END) ORDER BY i),
         coalesce(bool_or(c.floor_debit), false)
  INTO e_bad, v_floor_debits
  FROM generate_series(1, v_n) i LEFT JOIN checks c ON c.e = i LEFT JOIN unbalanced u ON u.e = i;

  FOR v_i IN 1 .. v_n LOOP
    v_pos := array_position(x_key, e_key[v_i]);
    IF v_pos IS NOT NULL THEN
      v_status[v_i] := CASE WHEN x_hash[v_pos] = e_hash[v_i] THEN 'exists' ELSE 'conflict' END;
      v_tx[v_i] := x_id[v_pos];
      CONTINUE;
    END IF;
    -- The same key earlier in this batch and accepted there: this is a retry of it.
    v_pos := g_accepted[e_first[v_i]];
    IF v_pos IS NOT NULL THEN
      v_status[v_i] := CASE WHEN e_hash[v_pos] = e_hash[v_i] THEN 'exists' ELSE 'conflict' END;
      v_detail[v_i] := 'entry:' || v_pos;
      CONTINUE;
    END IF;

    v_bad := e_bad[v_i];
    IF v_bad IS NULL AND e_hold[v_i] IS NOT NULL THEN
      v_hold := e_hold[v_i];
      v_hold_acc := ledger_account_ref(v_hold->'ha', v_hold->>'c');
      v_pos := NULL;
      FOR v_k IN e_start[v_i] .. e_end[v_i] LOOP
        IF f_acc[v_k] = v_hold_acc AND f_amt[v_k] = (v_hold->>'x')::bigint AND f_cur[v_k] = v_hold->>'c' THEN v_pos := v_k; END IF;
      END LOOP;
      IF v_pos IS NULL OR (v_hold->>'x')::bigint <= 0 THEN
        v_bad := 'a hold must credit its holding account with its positive amount';
      END IF;
    END IF;
    IF v_bad IS NOT NULL THEN
      v_status[v_i] := 'invalid';
      v_detail[v_i] := v_bad;
      CONTINUE;
    END IF;

    -- Balance limits, against the running balances of this batch. Only a batch that debits a
    -- floored account needs them; a batch of credits (payments) skips this per-entry work.
    IF NOT v_floor_debits THEN
      g_accepted[e_first[v_i]] := v_i;
      CONTINUE;
    END IF;
    FOR v_k IN e_start[v_i] .. e_end[v_i] LOOP
      v_idx := array_position(a_id, f_acc[v_k]);
      IF a_floor[v_idx] AND f_amt[v_k] < 0 AND a_bal[v_idx] + f_amt[v_k] < 0 THEN
        v_status[v_i] := 'insufficient_funds';
        v_detail[v_i] := 'account ' || a_id[v_idx] || ' balance ' || a_bal[v_idx] || ' is less than ' || -f_amt[v_k];
        EXIT;
      END IF;
    END LOOP;
    CONTINUE WHEN v_status[v_i] <> 'created';
    g_accepted[e_first[v_i]] := v_i;
    FOR v_k IN e_start[v_i] .. e_end[v_i] LOOP
      v_idx := array_position(a_id, f_acc[v_k]);
      a_bal[v_idx] := a_bal[v_idx] + f_amt[v_k];
    END LOOP;
  END LOOP;

  WITH ins AS (
    INSERT INTO ledger_transactions (idempotency_key, payload_hash, kind, reference_type, reference_id, metadata)
    SELECT v->>'k', decode(v->>'h', 'hex'), v->>'kind', v->>'rt', v->>'rid', coalesce(v->'m', '{}'::jsonb)
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(v, ord)
    JOIN unnest(v_status) WITH ORDINALITY AS e(status, n) ON e.n = x.ord
    WHERE e.status = 'created'
    ORDER BY ord
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
  )
  SELECT array_agg(id), array_agg(idempotency_key) INTO v_created, v_keys FROM ins;

  -- A concurrent transaction committed one of these keys between the lookup above and this
  -- insert (the same key with other accounts: no account lock ordered the two). The insert
  -- waited for it and skipped the key; answer exactly as a retry would be answered.
  IF coalesce(array_length(v_created, 1), 0) <> (SELECT count(*) FROM unnest(v_status) s WHERE s = 'created') THEN
    FOR v_i IN 1 .. v_n LOOP
      IF v_status[v_i] = 'created' AND array_position(v_keys, e_key[v_i]) IS NULL THEN
        SELECT id, payload_hash INTO v_raced_id, v_raced_hash FROM ledger_transactions WHERE idempotency_key = e_key[v_i];
        v_status[v_i] := CASE WHEN v_raced_hash = e_hash[v_i] THEN 'exists' ELSE 'conflict' END;
        v_tx[v_i] := v_raced_id;
      END IF;
    END LOOP;
  END IF;

  IF v_created IS NOT NULL THEN
    FOR v_i IN 1 .. v_n LOOP
      IF v_status[v_i] = 'created' THEN
        v_tx[v_i] := v_created[array_position(v_keys, e_key[v_i])];
      END IF;
    END LOOP;

    INSERT INTO ledger_postings (tx_id, account_id, amount_minor, currency)
    SELECT e.tx, p.acc, p.amt, p.cur
    FROM unnest(f_entry, f_acc, f_amt, f_cur) AS p(e, acc, amt, cur)
    JOIN unnest(v_tx, v_status) WITH ORDINALITY AS e(tx, status, ord) ON e.ord = p.e
    WHERE e.status = 'created';

    -- The accounts are locked: adding this batch's deltas to the stored balances is exact.
    UPDATE ledger_accounts a SET balance_minor = a.balance_minor + d.delta
    FROM (SELECT p.acc AS id, sum(p.amt) AS delta
          FROM unnest(f_entry, f_acc, f_amt) AS p(e, acc, amt)
          JOIN unnest(v_status) WITH ORDINALITY AS e(status, ord) ON e.ord = p.e
          WHERE e.status = 'created' GROUP BY 1) d
    WHERE a.id = d.id AND d.delta <> 0;

    INSERT INTO ledger_unhashed (tx_id) SELECT unnest(v_created);

    INSERT INTO ledger_holds (tx_id, holding_account_id, post_account_id, void_account_id, amount_minor,
                              currency, reference_type, reference_id, expires_at, expiry_action)
    SELECT e.tx, ledger_account_ref(v->'hold'->'ha', v->'hold'->>'c'),
           ledger_account_ref(v->'hold'->'pa', v->'hold'->>'c'), ledger_account_ref(v->'hold'->'va', v->'hold'->>'c'),
           (v->'hold'->>'x')::bigint, v->'hold'->>'c', v->>'rt', v->>'rid',
           (v->'hold'->>'exp')::timestamptz, coalesce(v->'hold'->>'act', 'void')
    FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(v, ord)
    JOIN unnest(v_tx, v_status) WITH ORDINALITY AS e(tx, status, n) ON e.n = x.ord
    WHERE e.status = 'created' AND v ? 'hold';
  END IF;

  -- Retries of an entry created earlier in this batch point at its journal transaction.
  FOR v_i IN 1 .. v_n LOOP
    IF v_detail[v_i] LIKE 'entry:%' THEN
      v_pos := substr(v_detail[v_i], 7)::int;
      v_tx[v_i] := v_tx[v_pos];
      -- Its leader lost a race to another transaction: compare with what was committed.
      IF v_status[v_pos] <> 'created' THEN
        v_status[v_i] := CASE WHEN v_status[v_pos] = 'exists' AND e_hash[v_pos] = e_hash[v_i] THEN 'exists' ELSE 'conflict' END;
      END IF;
      v_detail[v_i] := NULL;
    END IF;
  END LOOP;

  RETURN (SELECT jsonb_agg(jsonb_build_object('s', status, 'tx', tx, 'd', detail) ORDER BY i)
          FROM unnest(v_status, v_tx, v_detail) WITH ORDINALITY AS r(status, tx, detail, i));
END $$;
