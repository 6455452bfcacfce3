## Меню команд (setMyCommands).

command-start = Начать и зарегистрироваться
command-help = Что умеет бот
command-add = Привязать устройство по коду
command-devices = Мои устройства
command-select = Выбрать текущее устройство
command-status = Текущие показания
command-share = Поделиться устройством
command-language = Сменить язык
