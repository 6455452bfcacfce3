## /language.

language-pick = Выберите язык:
language-set = ✅ Теперь я говорю по-русски.
language-name = 🇷🇺 Русский

command-language = Сменить язык
