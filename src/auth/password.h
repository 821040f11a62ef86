/* password.h — password hashing with libsodium argon2id.
 *
 * A hash at the interactive cost takes ~90 ms and 64 MiB: it must only run on a
 * worker thread, and at most `ch_password_set_concurrency()` hashes run at once
 * (the others wait), so a login storm queues instead of exhausting memory.
 * The cost is configurable; tests use "min".
 * Threading: safe from any worker thread; never call on the network thread.
 */
#ifndef CH_AUTH_PASSWORD_H
#define CH_AUTH_PASSWORD_H

#include <stddef.h>

#include "core/err.h"

#define CH_PASSWORD_MAX 1024 /* bytes */
/* The longest password hash string (argon2id's is shorter: password.c checks).
 * store/store.h sizes its column with the same definition: a different value
 * there is a redefinition and does not compile. */
#define CH_HASH_MAX 256

typedef enum ch_pw_cost { CH_PW_COST_MIN, CH_PW_COST_INTERACTIVE, CH_PW_COST_MODERATE } ch_pw_cost;

/* Initialises libsodium; returns CH_ERR_INTERNAL if it cannot. Call once. */
ch_err ch_password_init(void);
/* Parses "min" | "interactive" | "moderate"; returns -1 when unknown. */
int ch_password_parse_cost(const char *s, ch_pw_cost *out);
/* Bounds concurrent hash/verify calls (default 2, minimum 1). */
void ch_password_set_concurrency(int n);
/* Hashes pw (len bytes, 1..CH_PASSWORD_MAX) into out. CH_ERR_OUT_OF_RANGE for a
 * bad length, CH_ERR_INTERNAL if libsodium fails. */
ch_err ch_password_hash(const char *pw, size_t len, ch_pw_cost cost, char out[CH_HASH_MAX + 1]);
/* CH_OK when pw matches hash, else CH_ERR_BAD_LOGIN (also for a malformed hash). */
ch_err ch_password_verify(const char *hash, const char *pw, size_t len);
/* Spends the time of one verify at the given cost without a stored hash, so an
 * unknown login answers as slowly as a wrong password. */
void ch_password_burn(ch_pw_cost cost);

#endif
