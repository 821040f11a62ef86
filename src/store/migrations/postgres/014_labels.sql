-- 014_labels — an organization's labels, and the labels set on chats. name_key
-- is the name case-folded by the server (store/label.c), the same in both
-- dialects, so that a name is unique per organization ignoring case. A chat's
-- rows go with the chat, a label's with the label.
CREATE TABLE labels (
	id bigserial PRIMARY KEY,
	company_id bigint NOT NULL REFERENCES companies (id),
	organization_id bigint NOT NULL REFERENCES organizations (id),
	name text NOT NULL,
	name_key text NOT NULL,
	color text NOT NULL,
	created_at bigint NOT NULL,
	UNIQUE (organization_id, name_key)
);
CREATE TABLE chat_labels (
	chat_id bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
	label_id bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (chat_id, label_id)
);
CREATE INDEX chat_labels_label ON chat_labels (label_id);
