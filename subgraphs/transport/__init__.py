"""The transport agency: driving licences and the vehicle register."""
