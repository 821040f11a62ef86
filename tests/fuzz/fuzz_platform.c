/* libFuzzer target: the Telegram and Viber parsers and answer readers
 * (chat/platform.h) on arbitrary bytes. Nothing may crash or read out of
 * bounds, and every string written must be NUL-terminated valid UTF-8 (what
 * the store accepts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/platform.h"
#include "core/utf8.h"

static void ok(const char *s, size_t cap)
{
	const char *end = memchr(s, 0, cap);
	if (!end || !ch_utf8_valid(s, (size_t)(end - s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ch_pf_inbound in;
	ch_pf_answer a;
	char why[200], path[256];
	int64_t n;
	const char *body = (const char *)data;
	for (int k = 0; k < 2; k++) {
		if (k ? ch_pf_viber_parse(body, size, &in, why, sizeof why)
		      : ch_pf_telegram_parse(body, size, &in, why, sizeof why))
			ok(why, sizeof why);
		ok(in.dedupe_id, sizeof in.dedupe_id);
		ok(in.user_id, sizeof in.user_id);
		ok(in.name, sizeof in.name);
		ok(in.phone, sizeof in.phone);
		ok(in.text, sizeof in.text);
		ok(in.file_ref, sizeof in.file_ref);
		ok(in.file_name, sizeof in.file_name);
		ok(in.mime, sizeof in.mime);
		ok(in.status_ref, sizeof in.status_ref);
	}
	ch_pf_telegram_answer(size ? 200 + data[0] % 350 : 200, body, size, &a);
	ok(a.error, sizeof a.error);
	ok(a.platform_message_id, sizeof a.platform_message_id);
	ch_pf_viber_answer(200, body, size, &a);
	ok(a.error, sizeof a.error);
	ok(a.platform_message_id, sizeof a.platform_message_id);
	ch_pf_telegram_file_path(body, size, path, sizeof path, &n);
	ok(path, sizeof path);
	return 0;
}
