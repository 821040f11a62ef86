/* demo.c — `serve --demo`: a demo company to try ChatHub with, created once,
 * and a copy-paste curl walk-through of the public API flow.
 * Threading: main thread, before the server runs. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cli/internal.h"
#include "core/random.h"

typedef struct demo_job {
	char hash[CH_HASH_MAX + 1];
	char guid[CH_GUID_LEN + 1];
	int created;
} demo_job;

static ch_err seed_tx(ch_store_tx *tx, void *arg)
{
	demo_job *j = arg;
	ch_company_row co;
	ch_err e = ch_store_company_by_login(tx, CH_DEMO_LOGIN, &co);
	if (e == CH_OK)
		return CH_OK; /* seeded by an earlier start */
	if (e != CH_ERR_NOT_FOUND)
		return e;
	int64_t company_id, org_id;
	ch_operator_row op;
	if ((e = ch_store_company_create(tx, CH_DEMO_LOGIN, "Demo Company", j->hash, &company_id)) ||
	    (e = ch_store_org_create(tx, company_id, "Support", j->guid, &org_id)) ||
	    (e = ch_store_operator_upsert(tx, company_id, org_id, "Alice", "demo-alice", &op, NULL)) ||
	    (e = ch_store_operator_upsert(tx, company_id, org_id, "Bob", "demo-bob", &op, NULL)))
		return e;
	j->created = 1;
	return CH_OK;
}

int ch_cli_demo_seed(ch_cli *c, ch_store *s)
{
	demo_job j = {0};
	ch_random_guid(j.guid);
	if (ch_password_hash(CH_DEMO_PASSWORD, strlen(CH_DEMO_PASSWORD), ch_cli_pw_cost(c), j.hash)) {
		fprintf(stderr, "error: cannot hash the demo password\n");
		return 1;
	}
	ch_err e = ch_store_write_sync(s, seed_tx, &j);
	if (e) {
		fprintf(stderr, "error: cannot create the demo company: %s\n", ch_err_text(e));
		return 1;
	}
	return 0;
}

void ch_cli_demo_print(const char *base)
{
	printf("\nChatHub is running on %s  (stop it with Ctrl-C)\n\n"
	       "Demo company: login \"demo\", password \"demo\" (organization \"Support\", operators "
	       "Alice and Bob).\n\n"
	       "See a chat in the browser: open %s/demo/ and follow its two links (the company website\n"
	       "with the visitor widget, and an operator CRM with the operator chat panel) in two tabs.\n\n"
	       "Administer it in the browser: open %s/admin/ and sign in as demo/demo.\n\n"
	       "Walk through the API with curl (copy-paste into a shell):\n\n", base, base, base);
	printf("# --- walk-through start ---\n"
	       "BASE=%s\n"
	       "# 1. company token (the body is the raw token)\n"
	       "COMPANY=$(curl -sf -X POST \"$BASE/api/company/get-token\" -H 'Content-Type: application/json' "
	       "-H 'Accept: text/plain' -d '{\"login\":\"demo\",\"password\":\"demo\"}')\n"
	       "# 2. organizations\n"
	       "curl -sf \"$BASE/api/company/organization\" -H \"Authorization: Bearer $COMPANY\" -H 'Accept: "
	       "text/plain'; echo\n"
	       "ORG=$(curl -sf \"$BASE/api/company/organization\" -H \"Authorization: Bearer $COMPANY\" | sed -E "
	       "'s/^\\[\\{\"id\":([0-9]+).*/\\1/')\n"
	       "# 3. operators of the first organization\n"
	       "curl -sf \"$BASE/api/operator?organizationId=$ORG\" -H \"Authorization: Bearer $COMPANY\"; echo\n"
	       "# 4. add an operator (re-running updates the same one: externalId)\n"
	       "OPERATOR=$(curl -sf -X POST \"$BASE/api/operator/synchronize\" -H \"Authorization: Bearer "
	       "$COMPANY\" -H 'Content-Type: application/json' -d \"[{\\\"organizationId\\\": $ORG, "
	       "\\\"name\\\": \\\"Carol\\\", \\\"externalId\\\": \\\"crm-carol\\\"}]\" | sed -E "
	       "'s/^\\[\\{\"id\":([0-9]+).*/\\1/')\n"
	       "# 5. make sure Carol is Active (0)\n"
	       "curl -sf -X POST \"$BASE/api/operator/status\" -H \"Authorization: Bearer $COMPANY\" -H "
	       "'Content-Type: application/json' -d \"{\\\"id\\\": $OPERATOR, \\\"status\\\": 0}\"\n"
	       "# 6. an operator token valid for 24 hours\n"
	       "EXPIRES=$(date -u -d '+24 hours' +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
	       "OPTOKEN=$(curl -sf -X POST \"$BASE/api/operator/get-token\" -H \"Authorization: Bearer $COMPANY\" "
	       "-H 'Content-Type: application/json' -d \"{\\\"id\\\": $OPERATOR, \\\"expiresAt\\\": "
	       "\\\"$EXPIRES\\\"}\")\n"
	       "# 7. validate it\n"
	       "curl -sf -X POST \"$BASE/api/operator/validate-token\" -H \"Authorization: Bearer $COMPANY\" -H "
	       "'Content-Type: application/json' -d \"{\\\"token\\\": \\\"$OPTOKEN\\\"}\"; echo\n"
	       "# --- walk-through end ---\n\n",
	       base);
}
