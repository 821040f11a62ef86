/* test_store_notes.c — the contract of store.h's private notes (migration
 * 011), written only against that header so every backend runs it: a note
 * takes no seq and leaves its chat's row as it was, it records where it sits
 * among the messages (after_seq), its author and mentions round-trip, the
 * bounds and the per-chat budget hold, a company sees only its own chats'
 * notes, and a deleted chat takes its notes with it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static ch_store *g_store;

static void setup(void)
{
	char path[600];
	fx_begin(g_dir, sizeof g_dir, "ch-notes-test");
	snprintf(path, sizeof path, "%s/chathub.db", g_dir);
	ch_store_opts o = fx_opts(path);
	cr_assert_eq(ch_store_open(&o, &g_store, NULL), CH_OK);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(notes, .init = setup, .fini = teardown, .timeout = 120);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);

static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

/* ---- a company: two organizations, an operator in each, a chat --------- */

typedef struct world {
	const char *login;
	unsigned n;
	int64_t company, org, org2, op1, op2, client, chat;
} world;

static ch_err job_seed(ch_store_tx *tx, void *p)
{
	world *w = p;
	char guid[CH_GUID_LEN + 1];
	ch_operator_row op;
	ch_client_row cl;
	ch_chat_row chat;
	ch_err e = ch_store_company_create(tx, w->login, "Acme", "hash", &w->company);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 1u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", guid, &w->org);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 2u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", guid, &w->org2);
	if (!e)
		e = ch_store_operator_upsert(tx, w->company, w->org, "Anna", NULL, &op, NULL);
	w->op1 = op.id;
	if (!e)
		e = ch_store_operator_set_photo(tx, w->company, w->op1, "https://example.com/anna.png", NULL);
	if (!e)
		e = ch_store_operator_upsert(tx, w->company, w->org2, "Clara", NULL, &op, NULL);
	w->op2 = op.id;
	if (!e)
		e = ch_store_client_upsert(tx, w->company, w->org, CH_SOURCE_WIDGET, NULL, "Visitor", NULL, NULL, &cl);
	w->client = cl.id;
	if (!e)
		e = ch_store_chat_create(tx, w->company, w->org, cl.id, CH_SOURCE_WIDGET, "Hello", &chat);
	w->chat = chat.id;
	return e;
}

static world seed(const char *login, unsigned n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_seed, &w), CH_OK);
	return w;
}

typedef struct msg_args {
	int64_t company, chat;
	int author;
	const char *text;
	ch_message_row row;
} msg_args;

static ch_err job_append(ch_store_tx *tx, void *p)
{
	msg_args *a = p;
	ch_message_new m = {.company_id = a->company, .chat_id = a->chat, .author = a->author, .text = a->text,
	                    .status = CH_MSG_SUCCESS};
	return ch_store_message_append(tx, &m, NULL, &a->row, NULL);
}

static int64_t append(const world *w, int author, const char *text)
{
	msg_args a = {.company = w->company, .chat = w->chat, .author = author, .text = text};
	cr_assert_eq(W(job_append, &a), CH_OK);
	return a.row.seq;
}

typedef struct note_args {
	int64_t company, chat, op;
	const char *text;
	const int64_t *mentions;
	size_t n_mentions;
	int repeat; /* how many notes one job writes (0 = 1) */
	ch_note_row *row;
} note_args;

static ch_err job_note(ch_store_tx *tx, void *p)
{
	note_args *a = p;
	ch_err e = CH_OK;
	for (int i = 0; i < (a->repeat ? a->repeat : 1) && !e; i++)
		e = ch_store_note_create(tx, a->company, a->chat, a->op, a->text, a->mentions, a->n_mentions, a->row);
	return e;
}

static ch_err note_add(int64_t company, int64_t chat, int64_t op, const char *text, const int64_t *mentions,
                       size_t n, ch_note_row *out)
{
	note_args a = {.company = company, .chat = chat, .op = op, .text = text, .mentions = mentions,
	               .n_mentions = n, .row = out};
	return W(job_note, &a);
}

typedef struct note_list {
	int64_t company, chat, before, limit;
	ch_note_row *rows;
	size_t n;
} note_list;

static void collect(void *ctx, const ch_note_row *r)
{
	note_list *l = ctx;
	l->rows = realloc(l->rows, (l->n + 1) * sizeof *l->rows);
	l->rows[l->n++] = *r;
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	note_list *l = p;
	return ch_store_note_list(tx, l->company, l->chat, l->before, l->limit, collect, l);
}

/* A page as the store gives it: newest first. */
static note_list page(int64_t company, int64_t chat, int64_t before, int64_t limit)
{
	note_list l = {.company = company, .chat = chat, .before = before, .limit = limit};
	cr_assert_eq(R(job_list, &l), CH_OK);
	return l;
}

/* Every note, oldest first. */
static note_list list(int64_t company, int64_t chat)
{
	note_list l = page(company, chat, 0, CH_NOTES_PER_CHAT_MAX);
	for (size_t i = 0; i < l.n / 2; i++) {
		ch_note_row t = l.rows[i];
		l.rows[i] = l.rows[l.n - 1 - i];
		l.rows[l.n - 1 - i] = t;
	}
	return l;
}

typedef struct chat_args {
	int64_t company, id;
	ch_chat_row row;
} chat_args;

static ch_err job_chat_get(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	return ch_store_chat_get(tx, a->company, a->id, &a->row);
}

static ch_err job_chat_delete(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	return ch_store_chat_delete(tx, a->company, a->id);
}

static ch_chat_row chat_get(const world *w)
{
	chat_args a = {.company = w->company, .id = w->chat};
	cr_assert_eq(R(job_chat_get, &a), CH_OK);
	return a.row;
}

/* ---- tests --------------------------------------------------------------- */

Test(notes, create_and_list_round_trip_oldest_first)
{
	world w = seed("acme", 1);
	ch_note_row *n = malloc(sizeof *n);
	int64_t mentions[] = {w.op1, 424242};
	append(&w, CH_AUTHOR_CLIENT, "hello");
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "first @Anna", mentions, 2, n), CH_OK);
	cr_assert_gt(n->id, 0);
	cr_assert_eq(n->company_id, w.company);
	cr_assert_eq(n->organization_id, w.org);
	cr_assert_eq(n->chat_id, w.chat);
	cr_assert_eq(n->operator_id, w.op1);
	cr_assert_str_eq(n->operator_name, "Anna");
	cr_assert_str_eq(n->operator_photo, "https://example.com/anna.png");
	cr_assert_str_eq(n->text, "first @Anna");
	cr_assert_eq(n->n_mentions, 2);
	cr_assert_eq(n->mentions[0], w.op1);
	cr_assert_eq(n->mentions[1], 424242, "mentions are stored as given");
	cr_assert_eq(n->after_seq, 1);
	cr_assert_gt(n->created_at, 0);
	append(&w, CH_AUTHOR_OPERATOR, "reply");
	cr_assert_eq(note_add(w.company, w.chat, 0, "a company's note", NULL, 0, n), CH_OK);
	cr_assert_eq(n->operator_id, 0);
	cr_assert_str_eq(n->operator_name, "");
	cr_assert_eq(n->n_mentions, 0);
	cr_assert_eq(n->after_seq, 2);
	note_list l = list(w.company, w.chat);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.rows[0].text, "first @Anna");
	cr_assert_eq(l.rows[0].n_mentions, 2);
	cr_assert_eq(l.rows[0].mentions[1], 424242);
	cr_assert_str_eq(l.rows[0].operator_name, "Anna");
	cr_assert_str_eq(l.rows[1].text, "a company's note");
	cr_assert_eq(l.rows[1].after_seq, 2);
	cr_assert_lt(l.rows[0].id, l.rows[1].id);
	free(l.rows);
	free(n);
}

Test(notes, a_note_leaves_the_chat_and_its_seq_alone)
{
	world w = seed("acme", 1);
	cr_assert_eq(append(&w, CH_AUTHOR_CLIENT, "one"), 1);
	ch_chat_row before = chat_get(&w);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(note_add(w.company, w.chat, w.op1, "between", NULL, 0, NULL), CH_OK);
	ch_chat_row after = chat_get(&w);
	cr_assert_eq(after.last_seq, before.last_seq);
	cr_assert_eq(after.last_message_at, before.last_message_at);
	cr_assert_eq(after.count_unread, before.count_unread);
	cr_assert_eq(after.status, before.status);
	cr_assert_str_eq(after.last_message, "one");
	cr_assert_eq(append(&w, CH_AUTHOR_OPERATOR, "two"), 2, "the next message's seq follows the last message");
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "again", NULL, 0, NULL), CH_OK);
	cr_assert_eq(append(&w, CH_AUTHOR_CLIENT, "three"), 3);
	cr_assert_str_eq(chat_get(&w).last_message, "three");
}

Test(notes, bounds_of_text_and_mentions)
{
	world w = seed("acme", 1);
	char *big = malloc(CH_NOTE_TEXT_MAX + 2);
	memset(big, 'x', CH_NOTE_TEXT_MAX + 1);
	big[CH_NOTE_TEXT_MAX + 1] = '\0';
	cr_assert_eq(note_add(w.company, w.chat, w.op1, big, NULL, 0, NULL), CH_ERR_OUT_OF_RANGE);
	big[CH_NOTE_TEXT_MAX] = '\0';
	ch_note_row *n = malloc(sizeof *n);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, big, NULL, 0, n), CH_OK, "16,384 bytes fit");
	cr_assert_eq(strlen(n->text), CH_NOTE_TEXT_MAX);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "", NULL, 0, NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "bad \xC3\x28 text", NULL, 0, NULL), CH_ERR_BAD_JSON);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "\xED\xA0\x80", NULL, 0, NULL), CH_ERR_BAD_JSON,
	             "a surrogate is not UTF-8");
	int64_t ids[CH_NOTE_MENTIONS_MAX + 1];
	for (size_t i = 0; i <= CH_NOTE_MENTIONS_MAX; i++)
		ids[i] = 9000000000LL + (int64_t)i; /* the widest ids still fit */
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "many", ids, CH_NOTE_MENTIONS_MAX + 1, NULL),
	             CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "many", ids, CH_NOTE_MENTIONS_MAX, n), CH_OK);
	cr_assert_eq(n->n_mentions, CH_NOTE_MENTIONS_MAX);
	cr_assert_eq(n->mentions[CH_NOTE_MENTIONS_MAX - 1], 9000000000LL + CH_NOTE_MENTIONS_MAX - 1);
	note_list l = list(w.company, w.chat);
	cr_assert_eq(l.n, 2, "the refused notes left nothing behind");
	free(l.rows);
	free(n);
	free(big);
}

Test(notes, the_budget_of_a_chat_is_1000_notes)
{
	world w = seed("acme", 1);
	note_args a = {.company = w.company, .chat = w.chat, .op = w.op1, .text = "n", .repeat = CH_NOTES_PER_CHAT_MAX};
	cr_assert_eq(W(job_note, &a), CH_OK);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "one more", NULL, 0, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(note_add(w.company, w.chat, 0, "one more", NULL, 0, NULL), CH_ERR_CONFLICT);
	note_list l = list(w.company, w.chat);
	cr_assert_eq(l.n, CH_NOTES_PER_CHAT_MAX);
	free(l.rows);
}

Test(notes, pages_walk_back_from_the_newest)
{
	world w = seed("acme", 1);
	note_args a = {.company = w.company, .chat = w.chat, .op = w.op1, .text = "n", .repeat = 5};
	cr_assert_eq(W(job_note, &a), CH_OK);
	note_list all = list(w.company, w.chat);
	cr_assert_eq(all.n, 5);
	note_list p1 = page(w.company, w.chat, 0, 2);
	cr_assert_eq(p1.n, 2);
	cr_assert_eq(p1.rows[0].id, all.rows[4].id, "newest first");
	cr_assert_eq(p1.rows[1].id, all.rows[3].id);
	note_list p2 = page(w.company, w.chat, p1.rows[1].id, 2);
	cr_assert_eq(p2.n, 2);
	cr_assert_eq(p2.rows[0].id, all.rows[2].id, "below the given id");
	note_list p3 = page(w.company, w.chat, p2.rows[1].id, 2);
	cr_assert_eq(p3.n, 1);
	cr_assert_eq(p3.rows[0].id, all.rows[0].id);
	note_list p4 = page(w.company, w.chat, all.rows[0].id, 2);
	cr_assert_eq(p4.n, 0);
	free(all.rows);
	free(p1.rows);
	free(p2.rows);
	free(p3.rows);
	free(p4.rows);
}

Test(notes, another_company_or_organization_sees_nothing)
{
	world a = seed("acme", 1), b = seed("other", 2);
	cr_assert_eq(note_add(a.company, a.chat, a.op1, "mine", NULL, 0, NULL), CH_OK);
	cr_assert_eq(note_add(b.company, a.chat, 0, "theirs", NULL, 0, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(note_add(b.company, a.chat, b.op1, "theirs", NULL, 0, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(note_add(a.company, a.chat, b.op1, "their operator", NULL, 0, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(note_add(a.company, a.chat, a.op2, "another organization's operator", NULL, 0, NULL),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(note_add(a.company, 987654321, 0, "no chat", NULL, 0, NULL), CH_ERR_NOT_FOUND);
	note_list l = list(b.company, a.chat);
	cr_assert_eq(l.n, 0);
	free(l.rows);
	l = list(a.company, a.chat);
	cr_assert_eq(l.n, 1);
	free(l.rows);
}

Test(notes, deleting_the_chat_deletes_its_notes)
{
	world w = seed("acme", 1);
	cr_assert_eq(note_add(w.company, w.chat, w.op1, "gone soon", NULL, 0, NULL), CH_OK);
	chat_args a = {.company = w.company, .id = w.chat};
	cr_assert_eq(W(job_chat_delete, &a), CH_OK);
	note_list l = list(w.company, w.chat);
	cr_assert_eq(l.n, 0);
	free(l.rows);
}
