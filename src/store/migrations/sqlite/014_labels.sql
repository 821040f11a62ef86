-- 014_labels — an organization's labels, and the labels set on chats. name_key
-- is the name case-folded by the server (store/label.c), the same in both
-- dialects, so that a name is unique per organization ignoring case. A chat's
-- rows go with the chat, a label's with the label.
CREATE TABLE labels (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL REFERENCES companies (id),
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	name TEXT NOT NULL,
	name_key TEXT NOT NULL,
	color TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (organization_id, name_key)
);
CREATE TABLE chat_labels (
	chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (chat_id, label_id)
) WITHOUT ROWID;
CREATE INDEX chat_labels_label ON chat_labels (label_id);
