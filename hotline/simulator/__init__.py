"""A local stand-in for Twilio: REST subset, signed webhooks, a TwiML interpreter, a test page.

``create_simulator_app(SimulatorConfig(...))`` builds the ASGI app (see ``app``);
``SimulatorControl(base_url, token)`` drives it from tests and load scripts (see ``client``).
"""

from hotline.simulator.config import SimulatorConfig

__all__ = ["SimulatorConfig"]
