## /export: показания устройства файлом CSV.

command-export = Скачать показания в CSV
export-empty = У вас пока нет устройств. Привяжите первое командой /add КОД.
export-pick-device = Показания какого устройства?
export-pick-period = Показания { $name } за какой период?
export-nothing = У { $name } нет показаний за { $period }.
export-caption = 📄 { $name } · { $period } · показаний: { $rows }, время { $zone }
