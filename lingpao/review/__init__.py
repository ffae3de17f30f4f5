"""The round's close (contract §6): the expert review, the public notice, certification, and the
yearly check of the leaders."""
