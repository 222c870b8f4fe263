-- Verification-level amount limits in the stablecoin (docs/currencies.md, "Limits in the
-- stablecoin"). A stablecoin has its own rows rather than being converted to CNY: it tracks the
-- US dollar, so its limits are the USD rows in its own decimals (USDK has 6: one cent = 10,000
-- base units), and a shop's allowance does not move with the CNY rate between two sales. A
-- platform that names its stablecoin otherwise (STABLECOIN_CURRENCY) adds rows under that code.
INSERT INTO verification_money_limits (level, currency, daily_sales_max_minor, payout_max_minor) VALUES
  ('unverified', 'USDK', 70000000, 30000000),
  ('verified', 'USDK', 7000000000, 3000000000),
  ('business', 'USDK', 700000000000, 300000000000)
ON CONFLICT (level, currency) DO NOTHING;
