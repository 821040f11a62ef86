/* libFuzzer target: the REST request decoders and handlers, end to end on a
 * real store in a temporary directory. The first byte picks an endpoint, the
 * rest is the body (or query); a company token is attached so the handlers
 * run past authentication. Nothing may crash, leak or answer without a
 * status. */
#include <stdint.h>
#include <string.h>

#include "fuzz_store.h"

static ch_api *api;
static char token[1024];

static ch_err seed(ch_store_tx *tx, void *arg)
{
	int64_t co, org;
	ch_operator_row op;
	(void)arg;
	ch_err e = ch_store_company_create(tx, "fuzz", "Fuzz", "$argon2id$v=19$m=8,t=1,p=1$x$y", &co);
	if (!e)
		e = ch_store_org_create(tx, co, "Org", "00000000-0000-4000-8000-000000000000", &org);
	if (!e)
		e = ch_store_operator_upsert(tx, co, org, "Op", NULL, &op, NULL);
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	api = fuzz_api_new(fuzz_store_open(seed, NULL));
	char *t = NULL;
	ch_token_claims cl = {.kind = CH_TOKEN_COMPANY, .sub = 1, .company_id = 1, .iat = 0, .exp = 4000000000LL};
	if (ch_token_sign(&fuzz_key, &cl, &t))
		abort();
	snprintf(token, sizeof token, "Bearer %s", t);
	free(t);
	return 0;
}

static const struct {
	ch_method m;
	const char *path;
} endpoints[] = {
	{CH_M_POST, "/api/company/get-token"}, {CH_M_POST, "/api/company/organization"},
	{CH_M_PUT, "/api/company/organization/1"}, {CH_M_POST, "/api/operator/synchronize"},
	{CH_M_POST, "/api/operator/status"}, {CH_M_POST, "/api/operator/get-token"},
	{CH_M_POST, "/api/operator/validate-token"}, {CH_M_PUT, "/api/chat/status"},
	{CH_M_POST, "/api/chat/1/message"}, {CH_M_GET, "/api/operator"}, {CH_M_GET, "/api/chat/chats"},
	{CH_M_POST, "/api/widget/00000000-0000-4000-8000-000000000000/session"},
};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	ch_req req = {0};
	size_t which = data[0] % N_ENDPOINTS;
	req.method = endpoints[which].m;
	req.path = strdup(endpoints[which].path);
	snprintf(req.peer, sizeof req.peer, "127.0.0.1");
	req.authorization = strdup(token);
	req.content_type = strdup("application/json");
	if (req.method == CH_M_GET) { /* the input becomes one query argument */
		char *arg = strndup((const char *)data + 1, size - 1 > 512 ? 512 : size - 1);
		if (strchr(arg, '=') && !memchr(data + 1, 0, size - 1 > 512 ? 512 : size - 1))
			req.args[req.nargs++] = arg;
		else
			free(arg);
	} else {
		ch_buf_append(&req.body, data + 1, size - 1);
	}
	ch_resp resp = {0};
	ch_api_handle(api, &req, &resp);
	if (resp.status < 200 || resp.status > 599)
		abort();
	ch_resp_free(&resp);
	ch_req_free(&req);
	return 0;
}
