from obole.cli import main

main()
