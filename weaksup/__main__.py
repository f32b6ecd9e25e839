from weaksup.cli import main

main()
