-- Full-text search over subject, addresses and text body (issue 3). The index
-- is contentless (the text lives once, in contents) with contentless_delete so
-- rows can be removed; triggers keep it equal to what applyParse stored, and a
-- deleted message leaves nothing behind in it (bad-input 69).
-- rowid = contents.id.
CREATE VIRTUAL TABLE message_fts USING fts5(
  subject, addresses, body,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- The address column: envelope and header addresses with their display names.
CREATE TRIGGER contents_fts_parsed AFTER UPDATE OF parse_state, subject, from_json, to_json, cc_json, text ON contents
BEGIN
  DELETE FROM message_fts WHERE rowid = old.id;
  INSERT INTO message_fts (rowid, subject, addresses, body)
  SELECT new.id, new.subject,
    new.mail_from || ' ' ||
    coalesce((SELECT group_concat(value, ' ') FROM json_each(new.rcpt_to)), '') || ' ' ||
    coalesce((SELECT group_concat(coalesce(json_extract(value, '$.address'), '') || ' ' || coalesce(json_extract(value, '$.name'), ''), ' ')
      FROM (SELECT value FROM json_each(new.from_json) UNION ALL SELECT value FROM json_each(new.to_json)
            UNION ALL SELECT value FROM json_each(new.cc_json))), ''),
    new.text
  WHERE new.parse_state <> 'pending';
END;

CREATE TRIGGER contents_fts_deleted AFTER DELETE ON contents
BEGIN
  DELETE FROM message_fts WHERE rowid = old.id;
END;

-- Mail stored before this migration.
INSERT INTO message_fts (rowid, subject, addresses, body)
SELECT c.id, c.subject,
  c.mail_from || ' ' ||
  coalesce((SELECT group_concat(value, ' ') FROM json_each(c.rcpt_to)), '') || ' ' ||
  coalesce((SELECT group_concat(coalesce(json_extract(value, '$.address'), '') || ' ' || coalesce(json_extract(value, '$.name'), ''), ' ')
    FROM (SELECT value FROM json_each(c.from_json) UNION ALL SELECT value FROM json_each(c.to_json)
          UNION ALL SELECT value FROM json_each(c.cc_json))), ''),
  c.text
FROM contents c WHERE c.parse_state <> 'pending';
