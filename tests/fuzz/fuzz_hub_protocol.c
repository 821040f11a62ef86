/* libFuzzer target: the hub's SignalR framing, handshake and message parser.
 * Any bytes, split into frames at arbitrary points, must never crash, leak or
 * read out of bounds, and every parsed message must be writable back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hub/protocol.h"

static int on_record(void *ctx, const char *rec, size_t len)
{
	char err[200];
	int *n = ctx;
	if ((*n)++ == 0) {
		ch_hub_handshake_parse(rec, len, err, sizeof err);
		return 0;
	}
	ch_hub_msg m;
	if (ch_hub_msg_parse(rec, len, &m, err, sizeof err) == CH_OK) {
		ch_buf out = CH_BUF_INIT;
		if (m.type == CH_HUB_INVOCATION) {
			ch_hub_write_invocation(&out, m.target, m.args);
			ch_hub_write_result(&out, m.invocation_id, m.args);
			ch_hub_write_error(&out, m.invocation_id, m.target);
		}
		ch_buf_free(&out);
		ch_hub_msg_free(&m);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_hub_reader r = {CH_BUF_INIT};
	int n = 0;
	/* the first byte decides where the input is cut into two "frames" */
	size_t cut = size ? data[0] % (size + 1) : 0;
	if (ch_hub_reader_feed(&r, (const char *)data, cut, on_record, &n, NULL) == 0)
		ch_hub_reader_feed(&r, (const char *)data + cut, size - cut, on_record, &n, NULL);
	ch_hub_reader_free(&r);
	return 0;
}
