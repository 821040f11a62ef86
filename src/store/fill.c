/* fill.c — result rows both backends fill from what a write wrote (fill.h).
 *
 * Threading: pure functions of their arguments; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/fill.h"

void ch_store_fill_refs_clear(ch_message_row *row, const ch_message_new *m)
{
	row->operator_name[0] = '\0';
	row->operator_photo[0] = '\0';
	row->has_media = m->media_id != 0;
	memset(&row->media, 0, sizeof row->media);
}

/* src (bounded by the checks) into dst of cap bytes. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void ch_store_fill_appended(ch_message_row *row, const ch_message_new *m, int64_t id, int64_t seq,
                            int64_t now)
{
	row->id = id;
	row->chat_id = m->chat_id;
	row->company_id = m->company_id;
	row->seq = seq;
	row->author = m->author;
	row->operator_id = m->operator_id;
	copy_text(row->text, sizeof row->text, m->text);
	row->status = m->status;
	row->has_client_message_id = m->client_message_id != NULL;
	copy_text(row->client_message_id, sizeof row->client_message_id, m->client_message_id);
	row->created_at = now;
	row->redacted_at = 0; /* a new message is no tombstone */
	row->redacted_by = 0;
	row->redacted_by_name[0] = '\0';
}

void ch_store_fill_chat_appended(ch_chat_row *c, const ch_message_row *msg, const char *preview,
                                 size_t n)
{
	c->last_seq = msg->seq;
	c->last_message_at = msg->created_at;
	memcpy(c->last_message, preview, n);
	c->last_message[n] = '\0';
	if (msg->author == CH_AUTHOR_CLIENT) /* seq > operator_read_seq, always */
		c->count_unread++;
}

void ch_store_fill_api_key(ch_api_key_row *out, int64_t id, int64_t company_id, const char *name,
                           const char *prefix, const unsigned char hash[CH_API_KEY_HASH], int64_t now)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	out->company_id = company_id;
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->prefix, sizeof out->prefix, "%s", prefix);
	out->created_at = now;
	memcpy(out->hash, hash, CH_API_KEY_HASH);
}

void ch_store_fill_media(ch_media_row *out, int64_t id, int64_t company_id, int64_t chat_id, int type,
                         size_t len, const char *name, const char *format)
{
	memset(out, 0, sizeof *out);
	out->id = id;
	out->company_id = company_id;
	out->chat_id = chat_id;
	out->type = type;
	out->size = (int64_t)len;
	memcpy(out->name, name, strlen(name) + 1);
	memcpy(out->format, format, strlen(format) + 1);
}

void ch_store_fill_canned(ch_canned_row *out, int64_t id, int64_t company_id, int64_t org_id, int64_t operator_id,
                          const char *shortcut, const char *title, const char *text, int64_t created_at)
{
	/* out may already hold the row being replaced: copy the texts first. */
	copy_text(out->shortcut, sizeof out->shortcut, shortcut);
	copy_text(out->title, sizeof out->title, title);
	copy_text(out->text, sizeof out->text, text);
	out->id = id;
	out->company_id = company_id;
	out->organization_id = org_id;
	out->operator_id = operator_id;
	out->created_at = created_at;
}

void ch_store_fill_mentions_text(const int64_t *ids, size_t n, char out[CH_NOTE_MENTIONS_TEXT])
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && i < CH_NOTE_MENTIONS_MAX; i++)
		len += (size_t)snprintf(out + len, CH_NOTE_MENTIONS_TEXT - len, "%s%lld", i ? "," : "", (long long)ids[i]);
}

void ch_store_fill_note_mentions(ch_note_row *row, const char *text)
{
	row->n_mentions = 0;
	for (const char *p = text; p && *p && row->n_mentions < CH_NOTE_MENTIONS_MAX;) {
		char *end;
		long long id = strtoll(p, &end, 10);
		if (end == p)
			break;
		row->mentions[row->n_mentions++] = id;
		p = *end == ',' ? end + 1 : end;
	}
}
