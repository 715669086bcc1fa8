"""`python -m services.hub`: run the chat hub with settings from the environment."""

from services.hub.app import main

main()
