import os
import subprocess


def ping_host(host):
    out = subprocess.check_output("ping -c 1 " + host, shell=True)
    return out.decode()


def backup_database(target_dir):
    os.system("tar czf %s/backup.tgz /var/lib/vulnshop" % target_dir)
    return target_dir


def disk_usage(path):
    proc = subprocess.Popen("du -sh " + path, shell=True, stdout=subprocess.PIPE)
    return proc.communicate()[0].decode()
