"""SmartAir's device side: the agent for Raspberry Pi-class devices and the fleet simulator."""
