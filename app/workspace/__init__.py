"""What an officer keeps in ROMIN: favourite tools with notes (« Ma boîte à outils »), followed
risk factors and the news they bring (« Nouveautés », weekly e-mail), session packs and plans."""
