## /select: текущее устройство.

select-title = Выберите устройство для /live, /history и /settings:
select-empty = У вас пока нет устройств. Привяжите первое командой /add КОД.
select-done = ✅ Текущее устройство: { $name }.

command-select = Выбрать текущее устройство
