/* api/api.c: the error answers handlers write — the body every error shares,
 * and the Retry-After of a 503 5003 (a full store queue), which the API
 * document and docs/api.md promise. */
#include <criterion/criterion.h>
#include <string.h>

#include "api/internal.h"

static ch_resp resp;
static ch_ctx ctx;

static void setup(void)
{
	memset(&resp, 0, sizeof resp);
	memset(&ctx, 0, sizeof ctx);
	ctx.resp = &resp;
}

static void teardown(void) { ch_resp_free(&resp); }

TestSuite(error_resp, .init = setup, .fini = teardown);

static const char *headers(void) { return resp.headers.data ? resp.headers.data : ""; }

Test(error_resp, a_full_store_queue_answers_503_5003_with_retry_after)
{
	cr_assert_eq(ch_ctx_store_failed(&ctx, CH_ERR_BUSY, "organization"), 1);
	cr_assert_eq(resp.status, 503);
	cr_assert_str_eq(resp.body.data,
	                 "{\"status\":503,\"error\":\"Service Unavailable\",\"message\":\"server busy, retry later\","
	                 "\"code\":5003}");
	cr_assert(strstr(headers(), "Retry-After: 1\r\n"), "%s", headers());
}

Test(error_resp, a_busy_answer_keeps_a_retry_after_already_set)
{
	ch_resp_header(&resp, "Retry-After", "%d", 7);
	ch_ctx_error(&ctx, CH_ERR_BUSY, "busy");
	cr_assert_str_eq(headers(), "Retry-After: 7\r\n");
}

Test(error_resp, other_errors_carry_no_retry_after)
{
	ch_ctx_store_failed(&ctx, CH_ERR_STORE, "chat");
	cr_assert_eq(resp.status, 503);
	cr_assert(strstr(resp.body.data, "\"code\":5002"));
	cr_assert_null(strstr(headers(), "Retry-After"));
	ch_ctx_error(&ctx, CH_ERR_NOT_FOUND, "chat not found");
	cr_assert_eq(resp.status, 404);
	cr_assert_null(strstr(headers(), "Retry-After"));
}
