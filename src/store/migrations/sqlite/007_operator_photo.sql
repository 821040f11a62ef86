-- 007_operator_photo — an operator's optional photo URL (the public ChatHub
-- chat item's operator.photo), set with POST /api/operator/synchronize and
-- returned in every operator and chat object. NULL: no photo. Run by the
-- store inside its own BEGIN IMMEDIATE transaction.
ALTER TABLE operators ADD COLUMN photo TEXT;
