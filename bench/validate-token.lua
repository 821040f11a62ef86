-- wrk script: POST /api/operator/validate-token with a company token.
-- COMPANY_TOKEN and OPERATOR_TOKEN come from the environment (bench/rest.sh sets them).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("COMPANY_TOKEN")
wrk.body = '{"token":"' .. os.getenv("OPERATOR_TOKEN") .. '"}'
