# The public ChatHub API pages' curl flow (authentication, organizations,
# operators, operator token), request for request as those pages give them:
# JSON bodies, `Accept: text/plain` on the lists, the company token as a
# Bearer token, an operator token asked for 30 days as the pages' samples do,
# and validate-token read with the field names of both revisions. Only the
# base URL is replaced when it runs; LOGIN and PASSWORD are the company's.
set -eu

# 1. Obtain the company token
COMPANY_TOKEN=$(curl -sf -X POST 'https://chatapi.smsbat.com/api/company/get-token' \
  -H 'Content-Type: application/json' \
  -d "{\"login\": \"$LOGIN\", \"password\": \"$PASSWORD\"}")
COMPANY_TOKEN=${COMPANY_TOKEN#\"}; COMPANY_TOKEN=${COMPANY_TOKEN%\"}   # a JSON string or the bare token
echo "company token: ${COMPANY_TOKEN:0:12}…"

# 2. Get the organizations
ORGS=$(curl -sf -X GET 'https://chatapi.smsbat.com/api/company/organization' \
  -H 'Accept: text/plain' \
  -H "Authorization: Bearer $COMPANY_TOKEN")
echo "organizations: $ORGS"
ORG_ID=$(echo "$ORGS" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')

# 3. Get the operators of the organization (the other header works too)
OPERATORS=$(curl -sf -X GET "https://chatapi.smsbat.com/api/operator?organizationId=$ORG_ID" \
  -H 'Accept: text/plain' \
  -H "X-Authorization-Key: $COMPANY_TOKEN")
echo "operators: $OPERATORS"

# 4. Add operators
ADDED=$(curl -sf -X POST 'https://chatapi.smsbat.com/api/operator/synchronize' \
  -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "[{\"organizationId\": $ORG_ID, \"name\": \"Operator 1\"}, {\"organizationId\": $ORG_ID, \"name\": \"Operator 2\"}]")
echo "synchronized: $ADDED"
OPERATOR_ID=$(echo "$ADDED" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')

# 5. Obtain an operator token (the samples ask for 30 days)
EXPIRES_AT=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%S.000Z)
OPERATOR_TOKEN=$(curl -sf -X POST 'https://chatapi.smsbat.com/api/operator/get-token' \
  -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"id\": $OPERATOR_ID, \"expiresAt\": \"$EXPIRES_AT\"}")
OPERATOR_TOKEN=${OPERATOR_TOKEN#\"}; OPERATOR_TOKEN=${OPERATOR_TOKEN%\"}
echo "operator token: ${OPERATOR_TOKEN:0:12}…"

# 6. Validate it
VALID=$(curl -sf -X POST 'https://chatapi.smsbat.com/api/operator/validate-token' \
  -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"token\": \"$OPERATOR_TOKEN\"}")
echo "validate: $VALID"
case "$VALID" in *'"isValid":true'*'"valid":true'*|*'"valid":true'*'"isValid":true'*) ;; *) echo "not valid"; exit 1 ;; esac

# 7. Deactivate the second operator (200 with an empty body)
SECOND_ID=$(echo "$ADDED" | sed -E 's/.*\{"id":([0-9]+),"name":"Operator 2".*/\1/')
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X POST 'https://chatapi.smsbat.com/api/operator/status' \
  -H "Authorization: Bearer $COMPANY_TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"id\": $SECOND_ID, \"status\": 1}")
echo "status: $STATUS"
[ "$STATUS" = 200 ]
echo "curl flow: ok"
