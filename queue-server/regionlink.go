package main

import (
	"errors"
	"flag"

	"github.com/talonqueue/talon/queue-server/region"
)

// addRegionLinkFlags registers the credentials and TLS of a connection to
// the region's cluster, with their TALON_* defaults: the same flags for the
// office node's leaf link, the regional server and the region commands
// (docs/region.md, "Credentials and TLS").
func addRegionLinkFlags(fs *flag.FlagSet, l *region.Link, getenv func(string) string) {
	fs.StringVar(&l.Credentials, "region-creds", getenv("TALON_REGION_CREDS"),
		"файл учётных данных NATS, с которыми входят в кластер региона: .creds (JWT и ключ) или ключ nkey пользователя (строка SU…); "+
			"пусто — без них; имя и пароль можно дать и в адресе, nats://имя:пароль@хост:4222 (TALON_REGION_CREDS)")
	fs.StringVar(&l.CA, "region-tls-ca", getenv("TALON_REGION_TLS_CA"),
		"файл сертификатов (PEM), которыми подписаны сертификаты кластера региона: связь с ним только по TLS, с проверкой его сертификата (TALON_REGION_TLS_CA)")
	fs.StringVar(&l.Cert, "region-tls-cert", getenv("TALON_REGION_TLS_CERT"),
		"свой сертификат (PEM) для кластера региона, который проверяет сертификаты клиентов, с --region-tls-key (TALON_REGION_TLS_CERT)")
	fs.StringVar(&l.Key, "region-tls-key", getenv("TALON_REGION_TLS_KEY"), "ключ сертификата --region-tls-cert (PEM) (TALON_REGION_TLS_KEY)")
}

// addRegionClientFlags registers how the region commands (join, config
// set, config show) reach the cluster: its addresses and the link's
// credentials and TLS.
func addRegionClientFlags(fs *flag.FlagSet, getenv func(string) string) (urls *string, link *region.Link) {
	urls = fs.String("region", getenv("TALON_REGION"), "адреса кластера NATS региона через запятую (TALON_REGION)")
	link = &region.Link{}
	addRegionLinkFlags(fs, link, getenv)
	return urls, link
}

// checkRegionLink refuses link flags where no link is made and unreadable
// files where one is.
func checkRegionLink(l region.Link, linked bool) error {
	if !linked {
		if l != (region.Link{}) {
			return errors.New("--region-creds и --region-tls-* действуют только с --office-node или --region")
		}
		return nil
	}
	return l.Check()
}
