"""The simulated farm: scripted bots and human-like members against a running Obole, over HTTP only.

- `cards.py`: distinct Luhn-valid card numbers for the run, and the sandbox's test numbers
- `client.py`: the HTTP client (a client address per actor, sent as X-Forwarded-For)
- `rules.py`: which rule of the server stopped an actor, read from its answer
- `records.py`: what is measured about each actor, and the run's summary
- `farm.py`: the population: bot strategies and humans
- `runner.py`: the run: join, act, move the billing clock, act again
"""
