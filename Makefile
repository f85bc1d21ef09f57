# The two set-up commands of the README. Each installs what it needs first.
.PHONY: dossier test

dossier:
	bash scripts/bootstrap.sh
	.venv/bin/casefile build cases/assad-extradition.yaml

test:
	bash scripts/bootstrap.sh --test
	.venv/bin/python -m pytest
