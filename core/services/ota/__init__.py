"""OTA firmware updates (SPEC 6): firmware images, their signatures, rollouts and the devices' progress."""
