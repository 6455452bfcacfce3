## /status: текущие показания всех устройств.

status-title = 📊 Текущие показания
status-empty = У вас пока нет устройств. Привяжите первое командой /add КОД.
status-device =
    { $dot } { $name }{ $location }
    { $reading }
    { $state } · { $seen }
status-location = { " " }({ $location })

command-status = Текущие показания
