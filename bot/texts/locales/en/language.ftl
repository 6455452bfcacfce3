## /language.

language-pick = Choose your language:
language-set = ✅ I will speak English from now on.
language-name = 🇬🇧 English

command-language = Change the language
