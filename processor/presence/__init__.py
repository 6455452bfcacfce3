"""Device presence on the processor side: which `devices` rows a batch must update (filter), and the
sweep that turns silence or a Last Will into offline episodes and speech into back online (sweep)."""
