/* api/operator.c: validate-token's hand parser of `{"token":"…"}`. Whatever
 * it accepts, jansson reads as the same one member with the same bytes; what
 * it refuses goes through jansson (so it may refuse valid JSON, never accept
 * something jansson would read otherwise). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

/* Whether jansson agrees with an acceptance: one object member "token", a string of those bytes. */
static int jansson_agrees(const char *text, size_t n, const char *tok, size_t len)
{
	json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *t = json_object_get(j, "token");
	int ok = json_is_object(j) && json_object_size(j) == 1 && json_is_string(t) && json_string_length(t) == len &&
	         !memcmp(json_string_value(t), tok, len);
	json_decref(j);
	return ok;
}

static int accepts(const char *text, const char **tok, size_t *len)
{
	return ch_api_token_body(text, strlen(text), tok, len);
}

Test(token_body, the_shapes_callers_send)
{
	static const char *const good[] = {
		"{\"token\":\"a.b.c\"}", " { \"token\" : \"a.b.c\" } ", "\n{\t\"token\":\r\n\"a.b.c\"}\n",
		"{\"token\":\"\"}", "{\"token\":\"with space ~!@#$%^&*()\"}",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *tok;
		size_t len;
		cr_assert(accepts(good[i], &tok, &len), "%s", good[i]);
		cr_assert(jansson_agrees(good[i], strlen(good[i]), tok, len), "%s", good[i]);
	}
	const char *tok;
	size_t len;
	cr_assert(accepts("{\"token\":\"eyJ.x-y_z.Q\"}", &tok, &len));
	cr_assert_eq(len, 11);
	cr_assert_eq(memcmp(tok, "eyJ.x-y_z.Q", 11), 0);
}

Test(token_body, everything_else_goes_to_jansson)
{
	static const char *const other[] = {
		"", " ", "{}", "[]", "null", "\"a.b.c\"", "{\"token\":\"a.b.c\"", "{\"token\":\"a.b.c}",
		"{\"token\":\"a.b.c\"}x", "{\"token\":\"a.b.c\"}{}", "{\"token\":\"a.b.c\",}", "{\"token\":\"a\",\"x\":1}",
		"{\"x\":1,\"token\":\"a\"}", "{\"token\":\"a\",\"token\":\"a\"}", "{\"token\":\"a\\u002eb\"}",
		"{\"token\":\"a\\\\b\"}", "{\"token\":\"\xc3\xa9\"}", "{\"token\":\"\x01\"}", "{\"token\":\"\x7f\"}",
		"{\"token\":12}", "{\"token\":null}", "{\"token\":[\"a\"]}", "{\"Token\":\"a\"}", "{\"token \":\"a\"}",
		"{token:\"a\"}", "{'token':'a'}", "{\"token\"\"a\"}", "\xef\xbb\xbf{\"token\":\"a\"}", "{\"token\":\"a\"}\v",
		"{\"token\":\"a\"}\f",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		const char *tok;
		size_t len;
		cr_assert_not(accepts(other[i], &tok, &len), "%s", other[i]);
	}
	const char *tok;
	size_t len;
	cr_assert_not(ch_api_token_body(NULL, 0, &tok, &len));
	char nul[] = "{\"token\":\"a\0b\"}";
	cr_assert_not(ch_api_token_body(nul, sizeof nul - 1, &tok, &len), "a NUL byte");
	cr_assert_not(ch_api_token_body(nul, 12, &tok, &len), "cut short");
}

/* Random edits of a good body: every acceptance must be one jansson agrees with. */
Test(token_body, random_edits_never_disagree_with_jansson)
{
	static const char alphabet[] = "{}\":, \t\r\n\\tokenab.\x01\x80u0";
	const char *base = "{\"token\":\"abc.def.ghi\"}";
	srand(16);
	int accepted = 0;
	for (int round = 0; round < 200000; round++) {
		char buf[64];
		size_t n = strlen(base);
		memcpy(buf, base, n);
		for (int k = 1 + rand() % 3; k > 0; k--) {
			size_t at = (size_t)rand() % n;
			int op = rand() % 3;
			char ch = alphabet[rand() % (sizeof alphabet - 1)];
			if (op == 0) {
				buf[at] = ch;
			} else if (op == 1 && n + 1 < sizeof buf) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = ch;
				n++;
			} else if (n > 1) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
		const char *tok;
		size_t len;
		if (ch_api_token_body(buf, n, &tok, &len)) {
			accepted++;
			cr_assert(jansson_agrees(buf, n, tok, len), "%.*s", (int)n, buf);
		}
	}
	cr_assert_gt(accepted, 100);
}
