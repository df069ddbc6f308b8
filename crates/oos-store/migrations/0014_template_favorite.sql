-- UpdateTemplateAttributes(IsFavorite): the account's favourite templates (ListTemplates IsFavorite filter).
ALTER TABLE api_templates ADD COLUMN is_favorite INTEGER NOT NULL DEFAULT 0;
